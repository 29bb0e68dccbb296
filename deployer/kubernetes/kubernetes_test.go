package kubernetes_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynfake "k8s.io/client-go/dynamic/fake"
	kube "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/deployer/kubernetes"
	"github.com/lockstep-dev/lockstep/deployer/providertest"
)

const ns = "shop"

func stableDeployment(name, release string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": "shop", kubernetes.DefaultVersionLabel: release}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "shop", Image: "registry.example/shop:" + release}}},
			},
		},
		Status: appsv1.DeploymentStatus{Replicas: replicas, ReadyReplicas: replicas, AvailableReplicas: replicas, UpdatedReplicas: replicas},
	}
}

// controller stands in for the Deployment controller: it brings each
// Deployment's status to its spec, one replica per tick when rolling.
func controller(t *testing.T, cs *fake.Clientset) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	t.Cleanup(func() { cancel(); wg.Wait() })
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			list, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
			if err == nil {
				for _, d := range list.Items {
					want := *d.Spec.Replicas
					st := d.Status
					st.Replicas, st.ReadyReplicas, st.AvailableReplicas = want, want, want
					if d.Spec.Template.Annotations["lockstep.dev/release"] != d.Annotations["observed-release"] {
						// Rolling: a new template; update one replica per tick unless paused.
						if !d.Spec.Paused && st.UpdatedReplicas < want {
							st.UpdatedReplicas++
						}
					} else {
						st.UpdatedReplicas = want
					}
					if !equality.Semantic.DeepEqual(st, d.Status) {
						// A status-only patch: a stale copy must not revert the spec.
						b, _ := json.Marshal(map[string]any{"status": map[string]any{"replicas": st.Replicas, "readyReplicas": st.ReadyReplicas,
							"availableReplicas": st.AvailableReplicas, "updatedReplicas": st.UpdatedReplicas}})
						cs.AppsV1().Deployments(ns).Patch(ctx, d.Name, types.MergePatchType, b, metav1.PatchOptions{}, "status")
					}
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
}

func provider(t *testing.T, cfg kubernetes.Config, cs *fake.Clientset, dyn *dynfake.FakeDynamicClient) *kubernetes.Kubernetes {
	cfg.Namespace = ns
	if cfg.Deployment == "" {
		cfg.Deployment = "shop-{{.Release}}"
	}
	cfg.Image = "registry.example/shop:{{.Release}}"
	o := kubernetes.Options{Clientset: cs, Poll: 5 * time.Millisecond}
	if dyn != nil {
		o.Dynamic = dyn
	}
	k, err := kubernetes.New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func replicas(t *testing.T, cs *fake.Clientset, name string) int {
	d, err := cs.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return 0
	}
	return int(*d.Spec.Replicas)
}

func TestConformanceReplicas(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Fixture {
		cs := fake.NewClientset(stableDeployment("shop-v1", "v1", 10))
		controller(t, cs)
		return providertest.Fixture{Provider: provider(t, kubernetes.Config{}, cs, nil),
			Weight: func(t *testing.T) int { return replicas(t, cs, "shop-v2") * 10 }}
	})
}

func canaryIngress() *networkingv1.Ingress {
	return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "shop-canary", Namespace: ns}}
}

func TestConformanceIngressNginx(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Fixture {
		cs := fake.NewClientset(stableDeployment("shop-v1", "v1", 4), canaryIngress(),
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "shop-canary", Namespace: ns}},
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns}})
		controller(t, cs)
		return providertest.Fixture{
			Provider: provider(t, kubernetes.Config{Traffic: kubernetes.TrafficIngress, Ingress: "shop-canary", CanaryService: "shop-canary", StableService: "shop"}, cs, nil),
			Weight: func(t *testing.T) int {
				ing, _ := cs.NetworkingV1().Ingresses(ns).Get(context.Background(), "shop-canary", metav1.GetOptions{})
				svc, _ := cs.CoreV1().Services(ns).Get(context.Background(), "shop", metav1.GetOptions{})
				if svc.Spec.Selector[kubernetes.DefaultVersionLabel] == "v2" {
					return 100 // promoted: the stable Service selects v2
				}
				if ing.Annotations["nginx.ingress.kubernetes.io/canary"] != "true" {
					return 0
				}
				w, _ := strconv.Atoi(ing.Annotations["nginx.ingress.kubernetes.io/canary-weight"])
				return w
			}}
	})
}

// patches returns the patch actions since the last call, as
// "kind name type body".
func patches(cs *fake.Clientset) []string {
	var out []string
	for _, a := range cs.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok && p.GetSubresource() == "" {
			out = append(out, a.GetResource().Resource+" "+p.GetName()+" "+string(p.GetPatchType())+" "+string(p.GetPatch()))
		}
	}
	cs.ClearActions()
	return out
}

func TestExactPatchesCanaryReplicas(t *testing.T) {
	cs := fake.NewClientset(stableDeployment("shop-v1", "v1", 4))
	controller(t, cs)
	k := provider(t, kubernetes.Config{}, cs, nil)
	ctx := context.Background()
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.Canary}
	if err := k.Deploy(ctx, tg); err != nil {
		t.Fatal(err)
	}
	// The candidate is stable's copy with the new image and version label.
	var created *appsv1.Deployment
	for _, a := range cs.Actions() {
		if c, ok := a.(k8stesting.CreateAction); ok {
			created = c.GetObject().(*appsv1.Deployment)
		}
	}
	if created == nil {
		t.Fatal("no Deployment created")
	}
	want := map[string]string{"app": "shop", kubernetes.DefaultVersionLabel: "v2"}
	if d := cmp.Diff(want, created.Spec.Selector.MatchLabels); d != "" {
		t.Errorf("selector (-want +got):\n%s", d)
	}
	if img := created.Spec.Template.Spec.Containers[0].Image; img != "registry.example/shop:v2" || *created.Spec.Replicas != 0 || created.Annotations["lockstep.dev/total-replicas"] != "4" {
		t.Errorf("created %s with %d replicas, annotations %v", img, *created.Spec.Replicas, created.Annotations)
	}
	cs.ClearActions()
	if err := k.SetWeight(ctx, tg, 20); err != nil {
		t.Fatal(err)
	}
	wantPatches := []string{
		`deployments shop-v2 application/merge-patch+json {"spec":{"replicas":1}}`,
		`deployments shop-v1 application/merge-patch+json {"spec":{"replicas":3}}`,
	}
	if d := cmp.Diff(wantPatches, patches(cs)); d != "" {
		t.Errorf("SetWeight(20) patches (-want +got):\n%s", d)
	}
	if err := k.Rollback(ctx, tg); err != nil {
		t.Fatal(err)
	}
	wantPatches = []string{
		`deployments shop-v1 application/merge-patch+json {"spec":{"replicas":4}}`,
		`deployments shop-v2 application/merge-patch+json {"spec":{"replicas":0}}`,
	}
	if d := cmp.Diff(wantPatches, patches(cs)); d != "" {
		t.Errorf("Rollback patches (-want +got):\n%s", d)
	}
}

func TestExactPatchesBlueGreen(t *testing.T) {
	cs := fake.NewClientset(stableDeployment("shop-v1", "v1", 3), &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns}})
	controller(t, cs)
	k := provider(t, kubernetes.Config{Service: "shop"}, cs, nil)
	ctx := context.Background()
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.BlueGreen}
	if err := k.Deploy(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if n := replicas(t, cs, "shop-v2"); n != 3 {
		t.Errorf("green has %d replicas; want 3, beside blue", n)
	}
	cs.ClearActions()
	for _, step := range []struct {
		do   func() error
		want []string
	}{
		{func() error { return k.SetWeight(ctx, tg, 100) }, []string{`services shop application/merge-patch+json {"spec":{"selector":{"lockstep.dev/release":"v2"}}}`}},
		{func() error { return k.Rollback(ctx, tg) }, []string{
			`services shop application/merge-patch+json {"spec":{"selector":{"lockstep.dev/release":"v1"}}}`,
			`deployments shop-v2 application/merge-patch+json {"spec":{"replicas":0}}`}},
	} {
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(step.want, patches(cs)); d != "" {
			t.Errorf("patches (-want +got):\n%s", d)
		}
	}
	if err := k.Deploy(ctx, tg); err != nil {
		t.Fatalf("Deploy again (a re-run): %v", err)
	}
	cs.ClearActions()
	if err := k.Promote(ctx, tg); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`deployments shop-v2 application/merge-patch+json {"spec":{"replicas":3}}`,
		`services shop application/merge-patch+json {"spec":{"selector":{"lockstep.dev/release":"v2"}}}`,
		`deployments shop-v1 application/merge-patch+json {"spec":{"replicas":0}}`,
	}
	if d := cmp.Diff(want, patches(cs)); d != "" {
		t.Errorf("Promote patches (-want +got):\n%s", d)
	}
}

func TestExactPatchesIngressNginx(t *testing.T) {
	cs := fake.NewClientset(stableDeployment("shop-v1", "v1", 2), canaryIngress(),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "shop-canary", Namespace: ns}})
	controller(t, cs)
	k := provider(t, kubernetes.Config{Traffic: kubernetes.TrafficIngress, Ingress: "shop-canary", CanaryService: "shop-canary", StableService: "shop"}, cs, nil)
	ctx := context.Background()
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.Canary}
	if err := k.Deploy(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{`services shop-canary application/merge-patch+json {"spec":{"selector":{"lockstep.dev/release":"v2"}}}`}, patches(cs)); d != "" {
		t.Errorf("Deploy patches (-want +got):\n%s", d)
	}
	if err := k.SetWeight(ctx, tg, 20); err != nil {
		t.Fatal(err)
	}
	want := []string{`ingresses shop-canary application/merge-patch+json {"metadata":{"annotations":{"nginx.ingress.kubernetes.io/canary":"true","nginx.ingress.kubernetes.io/canary-weight":"20"}}}`}
	if d := cmp.Diff(want, patches(cs)); d != "" {
		t.Errorf("SetWeight(20) patches (-want +got):\n%s", d)
	}
}

func TestExactPatchesGatewayAPI(t *testing.T) {
	route := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "shop", "namespace": ns},
		"spec": map[string]any{"rules": []any{
			map[string]any{"matches": []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": "/admin"}}},
				"backendRefs": []any{map[string]any{"name": "admin", "port": int64(80)}}},
			map[string]any{"backendRefs": []any{
				map[string]any{"name": "shop", "port": int64(80), "weight": int64(100)},
				map[string]any{"name": "shop-canary", "port": int64(80)},
			}},
		}},
	}}
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{kubernetes.HTTPRouteGVR: "HTTPRouteList"}, route)
	cs := fake.NewClientset(stableDeployment("shop-v1", "v1", 2), &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "shop-canary", Namespace: ns}})
	controller(t, cs)
	k := provider(t, kubernetes.Config{Traffic: kubernetes.TrafficGateway, HTTPRoute: "shop", CanaryService: "shop-canary", StableService: "shop"}, cs, dyn)
	if err := k.Check(deployer.Canary); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.Canary}
	if err := k.SetWeight(ctx, tg, 30); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range dyn.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok {
			got = append(got, string(p.GetPatchType())+" "+string(p.GetPatch()))
		}
	}
	want := []string{`application/json-patch+json [{"op":"add","path":"/spec/rules/1/backendRefs/0/weight","value":70},{"op":"add","path":"/spec/rules/1/backendRefs/1/weight","value":30}]`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("HTTPRoute patches (-want +got):\n%s", d)
	}
	u, _ := dyn.Resource(kubernetes.HTTPRouteGVR).Namespace(ns).Get(ctx, "shop", metav1.GetOptions{})
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
	refs := rules[1].(map[string]any)["backendRefs"].([]any)
	if refs[0].(map[string]any)["weight"] != int64(70) || refs[1].(map[string]any)["weight"] != int64(30) {
		t.Errorf("route after the patch: %v", refs)
	}
}

func TestRollingPausesBetweenBatches(t *testing.T) {
	d := stableDeployment("shop", "v1", 4)
	cs := fake.NewClientset(d)
	controller(t, cs)
	k := provider(t, kubernetes.Config{Deployment: "shop", MaxSurge: "1", MaxUnavailable: "1"}, cs, nil)
	ctx := context.Background()
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.Rolling}
	if err := k.Check(deployer.Rolling); err != nil {
		t.Fatal(err)
	}
	if n, _ := k.Instances(ctx, tg); n != 4 {
		t.Errorf("Instances = %d", n)
	}
	if err := k.Deploy(ctx, tg); err != nil {
		t.Fatal(err)
	}
	want := []string{`deployments shop application/strategic-merge-patch+json {"metadata":{"annotations":{"lockstep.dev/stable-image":"registry.example/shop:v1"}},"spec":{"paused":true,"strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":1},"type":"RollingUpdate"},"template":{"metadata":{"annotations":{"lockstep.dev/release":"v2"}},"spec":{"containers":[{"image":"registry.example/shop:v2","name":"shop"}]}}}}`}
	if d := cmp.Diff(want, patches(cs)); d != "" {
		t.Errorf("Deploy patches (-want +got):\n%s", d)
	}
	if err := k.SetWeight(ctx, tg, 50); err != nil {
		t.Fatal(err)
	}
	got := patches(cs)
	want = []string{`deployments shop application/merge-patch+json {"spec":{"paused":false}}`, `deployments shop application/merge-patch+json {"spec":{"paused":true}}`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("SetWeight(50) patches (-want +got):\n%s", d)
	}
	cur, _ := cs.AppsV1().Deployments(ns).Get(ctx, "shop", metav1.GetOptions{})
	if cur.Status.UpdatedReplicas < 2 || !cur.Spec.Paused {
		t.Errorf("after batch 2 of 4: %d updated, paused %v; want ≥2, paused", cur.Status.UpdatedReplicas, cur.Spec.Paused)
	}
	if err := k.Rollback(ctx, tg); err != nil {
		t.Fatal(err)
	}
	want = []string{`deployments shop application/strategic-merge-patch+json {"spec":{"paused":false,"template":{"metadata":{"annotations":{"lockstep.dev/release":"v1"}},"spec":{"containers":[{"image":"registry.example/shop:v1","name":"shop"}]}}}}`}
	if d := cmp.Diff(want, patches(cs)); d != "" {
		t.Errorf("Rollback patches (-want +got):\n%s", d)
	}
}

func TestRESTConfigFromKubeconfig(t *testing.T) {
	path := t.TempDir() + "/kubeconfig"
	kc := `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://127.0.0.1:6443"}
- name: b
  cluster: {server: "https://127.0.0.1:7443"}
users:
- name: u
  user: {token: secret}
contexts:
- name: prod
  context: {cluster: a, user: u}
- name: staging
  context: {cluster: b, user: u}
current-context: prod
`
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	none := func(string) string { return "" }
	for _, c := range []struct {
		cfg    kubernetes.Config
		getenv func(string) string
		host   string
	}{
		{kubernetes.Config{Kubeconfig: path}, none, "https://127.0.0.1:6443"},
		{kubernetes.Config{Kubeconfig: path, Context: "staging"}, none, "https://127.0.0.1:7443"},
		{kubernetes.Config{}, func(k string) string { return map[string]string{"KUBECONFIG": path}[k] }, "https://127.0.0.1:6443"},
	} {
		rc, err := kubernetes.RESTConfig(c.cfg, c.getenv)
		if err != nil {
			t.Fatal(err)
		}
		if rc.Host != c.host || rc.BearerToken != "secret" {
			t.Errorf("RESTConfig(%+v) host %s; want %s", c.cfg, rc.Host, c.host)
		}
	}
	if _, err := kubernetes.RESTConfig(kubernetes.Config{Kubeconfig: path, Context: "nope"}, none); err == nil || !strings.Contains(err.Error(), "deploy.kubernetes.kubeconfig") {
		t.Errorf("unknown context: %v", err)
	}
}

// In a pod, the client reaches the API server named by the service
// environment, trusts the mounted cluster CA and sends the mounted token.
func TestRESTConfigInCluster(t *testing.T) {
	var auth string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		if r.URL.Path != "/apis/apps/v1/namespaces/shop/deployments/shop-v1" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(stableDeployment("shop-v1", "v1", 2))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("pod-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KUBERNETES_SERVICE_HOST": u.Hostname(), "KUBERNETES_SERVICE_PORT": u.Port()}
	rc, err := kubernetes.InCluster(func(k string) string { return env[k] }, dir)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kube.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	d, err := cs.AppsV1().Deployments(ns).Get(context.Background(), "shop-v1", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("GET through the in-cluster config: %v", err)
	}
	if d.Name != "shop-v1" || auth != "Bearer pod-token" {
		t.Errorf("got deployment %q with Authorization %q; want shop-v1 with Bearer pod-token", d.Name, auth)
	}

	delete(env, "KUBERNETES_SERVICE_PORT")
	if _, err := kubernetes.InCluster(func(k string) string { return env[k] }, dir); err == nil || !strings.Contains(err.Error(), "KUBERNETES_SERVICE_PORT") {
		t.Errorf("missing port: %v", err)
	}
	env["KUBERNETES_SERVICE_PORT"] = u.Port()
	if _, err := kubernetes.InCluster(func(k string) string { return env[k] }, t.TempDir()); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("no service account mounted: %v", err)
	}
}
