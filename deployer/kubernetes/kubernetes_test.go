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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/deployer/kubernetes"
	"github.com/lockstep-dev/lockstep/deployer/providertest"
	"github.com/lockstep-dev/lockstep/internal/fault"
)

const ns = "shop"

func stableDeployment(name, release string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": "shop", kubernetes.DefaultVersionLabel: release}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, Generation: 1},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "shop", Image: "registry.example/shop:" + release, Ports: []corev1.ContainerPort{{ContainerPort: 8080}}},
					{Name: "proxy", Image: "registry.example/proxy:1"},
				}},
			},
		},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: replicas, ReadyReplicas: replicas, AvailableReplicas: replicas, UpdatedReplicas: replicas},
	}
}

// containers are stableDeployment's with the shop container's image.
func containers(image string) []corev1.Container {
	return []corev1.Container{
		{Name: "shop", Image: image, Ports: []corev1.ContainerPort{{ContainerPort: 8080}}},
		{Name: "proxy", Image: "registry.example/proxy:1"},
	}
}

// controller stands in for the Deployment controller: every tick it
// observes each Deployment's generation and brings its status to its
// spec. A new pod template starts a rollout: no replica is updated while
// the Deployment is paused, then one more per tick. Holding the returned
// mutex stops it, so the status lags the spec.
func controller(t *testing.T, s *apiServer) *sync.Mutex {
	var hold sync.Mutex
	type rollout struct {
		template string
		rolling  bool
	}
	seen := map[string]*rollout{}
	tick := func() {
		hold.Lock()
		defer hold.Unlock()
		s.updateDeployments(t, func(d *appsv1.Deployment) {
			b, _ := json.Marshal(d.Spec.Template)
			r := seen[d.Name]
			switch {
			case r == nil: // first sight: the status is as the fixture or the create says
				r = &rollout{template: string(b)}
				seen[d.Name] = r
			case r.template != string(b):
				r.template, r.rolling = string(b), true
				d.Status.UpdatedReplicas = 0
			}
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			st := &d.Status
			st.ObservedGeneration = d.Generation
			st.Replicas, st.ReadyReplicas, st.AvailableReplicas = want, want, want
			if r.rolling && !d.Spec.Paused {
				st.UpdatedReplicas++
			}
			if st.UpdatedReplicas >= want {
				r.rolling = false
			}
			if !r.rolling {
				st.UpdatedReplicas = want
			}
		})
	}
	tick() // the fixtures as they are, before the provider changes them
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	t.Cleanup(func() { cancel(); wg.Wait() })
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
			tick()
		}
	}()
	return &hold
}

func provider(t *testing.T, cfg kubernetes.Config, s *apiServer) *kubernetes.Kubernetes {
	cfg.Namespace = ns
	if cfg.Deployment == "" {
		cfg.Deployment = "shop-{{.Release}}"
	}
	cfg.Image = "registry.example/shop:{{.Release}}"
	k, err := kubernetes.New(cfg, kubernetes.Options{Dynamic: s.client(t), Poll: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func replicas(t *testing.T, s *apiServer, name string) int {
	d := s.deployment(t, name)
	if d == nil {
		return 0
	}
	return int(*d.Spec.Replicas)
}

func TestConformanceReplicas(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Fixture {
		s := newAPIServer(t, stableDeployment("shop-v1", "v1", 10))
		controller(t, s)
		return providertest.Fixture{Provider: provider(t, kubernetes.Config{}, s),
			Weight: func(t *testing.T) int { return replicas(t, s, "shop-v2") * 10 }}
	})
}

func canaryIngress() *networkingv1.Ingress {
	return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "shop-canary", Namespace: ns}}
}

func service(name string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
}

func TestConformanceIngressNginx(t *testing.T) {
	providertest.Run(t, func(t *testing.T) providertest.Fixture {
		s := newAPIServer(t, stableDeployment("shop-v1", "v1", 4), canaryIngress(), service("shop-canary"), service("shop"))
		controller(t, s)
		return providertest.Fixture{
			Provider: provider(t, kubernetes.Config{Traffic: kubernetes.TrafficIngress, Ingress: "shop-canary", CanaryService: "shop-canary", StableService: "shop"}, s),
			Weight: func(t *testing.T) int {
				var ing networkingv1.Ingress
				var svc corev1.Service
				s.get(t, "ingresses", "shop-canary", &ing)
				s.get(t, "services", "shop", &svc)
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

func TestExactPatchesCanaryReplicas(t *testing.T) {
	s := newAPIServer(t, stableDeployment("shop-v1", "v1", 4))
	controller(t, s)
	k := provider(t, kubernetes.Config{}, s)
	ctx := context.Background()
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.Canary}
	if err := k.Deploy(ctx, tg); err != nil {
		t.Fatal(err)
	}
	// The candidate is stable's copy with the new image and version label,
	// created with one POST.
	got := s.changes()
	if len(got) != 1 || got[0].Method != "POST" || got[0].Path != "/apis/apps/v1/namespaces/shop/deployments" || got[0].ContentType != "application/json" {
		t.Fatalf("Deploy requests: %v; want one POST of a Deployment", lines(got))
	}
	created := &appsv1.Deployment{}
	if err := json.Unmarshal([]byte(got[0].Body), created); err != nil {
		t.Fatal(err)
	}
	if created.APIVersion != "apps/v1" || created.Kind != "Deployment" || created.Name != "shop-v2" || created.Namespace != ns {
		t.Errorf("created %s %s %s/%s", created.APIVersion, created.Kind, created.Namespace, created.Name)
	}
	want := map[string]string{"app": "shop", kubernetes.DefaultVersionLabel: "v2"}
	if d := cmp.Diff(want, created.Spec.Selector.MatchLabels); d != "" {
		t.Errorf("selector (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, created.Spec.Template.Labels); d != "" {
		t.Errorf("pod labels (-want +got):\n%s", d)
	}
	if d := cmp.Diff(containers("registry.example/shop:v2"), created.Spec.Template.Spec.Containers); d != "" {
		t.Errorf("created containers (-want +got):\n%s", d)
	}
	if *created.Spec.Replicas != 0 || created.Annotations["lockstep.dev/total-replicas"] != "4" {
		t.Errorf("created with %d replicas, annotations %v", *created.Spec.Replicas, created.Annotations)
	}
	if err := k.SetWeight(ctx, tg, 20); err != nil {
		t.Fatal(err)
	}
	wantPatches := []string{
		`PATCH /apis/apps/v1/namespaces/shop/deployments/shop-v2 application/merge-patch+json {"spec":{"replicas":1}}`,
		`PATCH /apis/apps/v1/namespaces/shop/deployments/shop-v1 application/merge-patch+json {"spec":{"replicas":3}}`,
	}
	if d := cmp.Diff(wantPatches, lines(s.changes())); d != "" {
		t.Errorf("SetWeight(20) patches (-want +got):\n%s", d)
	}
	if a, b := replicas(t, s, "shop-v2"), replicas(t, s, "shop-v1"); a != 1 || b != 3 {
		t.Errorf("after SetWeight(20): %d candidate and %d stable replicas; want 1 and 3", a, b)
	}
	if err := k.Rollback(ctx, tg); err != nil {
		t.Fatal(err)
	}
	wantPatches = []string{
		`PATCH /apis/apps/v1/namespaces/shop/deployments/shop-v1 application/merge-patch+json {"spec":{"replicas":4}}`,
		`PATCH /apis/apps/v1/namespaces/shop/deployments/shop-v2 application/merge-patch+json {"spec":{"replicas":0}}`,
	}
	if d := cmp.Diff(wantPatches, lines(s.changes())); d != "" {
		t.Errorf("Rollback patches (-want +got):\n%s", d)
	}
}

func TestExactPatchesBlueGreen(t *testing.T) {
	s := newAPIServer(t, stableDeployment("shop-v1", "v1", 3), service("shop"))
	controller(t, s)
	k := provider(t, kubernetes.Config{Service: "shop"}, s)
	ctx := context.Background()
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.BlueGreen}
	if err := k.Deploy(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if n := replicas(t, s, "shop-v2"); n != 3 {
		t.Errorf("green has %d replicas; want 3, beside blue", n)
	}
	s.changes()
	for _, step := range []struct {
		do   func() error
		want []string
	}{
		{func() error { return k.SetWeight(ctx, tg, 100) }, []string{`PATCH /api/v1/namespaces/shop/services/shop application/merge-patch+json {"spec":{"selector":{"lockstep.dev/release":"v2"}}}`}},
		{func() error { return k.Rollback(ctx, tg) }, []string{
			`PATCH /api/v1/namespaces/shop/services/shop application/merge-patch+json {"spec":{"selector":{"lockstep.dev/release":"v1"}}}`,
			`PATCH /apis/apps/v1/namespaces/shop/deployments/shop-v2 application/merge-patch+json {"spec":{"replicas":0}}`}},
	} {
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(step.want, lines(s.changes())); d != "" {
			t.Errorf("patches (-want +got):\n%s", d)
		}
	}
	// A re-run: the create finds green there and patches it back to the
	// spec, its containers merged by name.
	if err := k.Deploy(ctx, tg); err != nil {
		t.Fatalf("Deploy again (a re-run): %v", err)
	}
	got := s.changes()
	if len(got) != 2 || got[0].Method != "POST" {
		t.Fatalf("re-run Deploy requests: %v; want a POST, then the patch", lines(got))
	}
	want := []string{`PATCH /apis/apps/v1/namespaces/shop/deployments/shop-v2 application/strategic-merge-patch+json {"spec":{"replicas":3,"template":{"spec":{"containers":[{"image":"registry.example/shop:v2","name":"shop"}]}}}}`}
	if d := cmp.Diff(want, lines(got[1:])); d != "" {
		t.Errorf("re-run Deploy patches (-want +got):\n%s", d)
	}
	if d := s.deployment(t, "shop-v2"); *d.Spec.Replicas != 3 {
		t.Errorf("green after the re-run: %d replicas; want 3", *d.Spec.Replicas)
	} else if diff := cmp.Diff(containers("registry.example/shop:v2"), d.Spec.Template.Spec.Containers); diff != "" {
		t.Errorf("green's containers after the re-run (-want +got):\n%s", diff)
	}
	if err := k.Promote(ctx, tg); err != nil {
		t.Fatal(err)
	}
	want = []string{
		`PATCH /apis/apps/v1/namespaces/shop/deployments/shop-v2 application/merge-patch+json {"spec":{"replicas":3}}`,
		`PATCH /api/v1/namespaces/shop/services/shop application/merge-patch+json {"spec":{"selector":{"lockstep.dev/release":"v2"}}}`,
		`PATCH /apis/apps/v1/namespaces/shop/deployments/shop-v1 application/merge-patch+json {"spec":{"replicas":0}}`,
	}
	if d := cmp.Diff(want, lines(s.changes())); d != "" {
		t.Errorf("Promote patches (-want +got):\n%s", d)
	}
}

func TestExactPatchesIngressNginx(t *testing.T) {
	s := newAPIServer(t, stableDeployment("shop-v1", "v1", 2), canaryIngress(), service("shop-canary"))
	controller(t, s)
	k := provider(t, kubernetes.Config{Traffic: kubernetes.TrafficIngress, Ingress: "shop-canary", CanaryService: "shop-canary", StableService: "shop"}, s)
	ctx := context.Background()
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.Canary}
	if err := k.Deploy(ctx, tg); err != nil {
		t.Fatal(err)
	}
	got := s.changes()
	if len(got) != 2 || got[0].Method != "POST" {
		t.Fatalf("Deploy requests: %v; want a POST of the candidate, then the patch", lines(got))
	}
	if d := cmp.Diff([]string{`PATCH /api/v1/namespaces/shop/services/shop-canary application/merge-patch+json {"spec":{"selector":{"lockstep.dev/release":"v2"}}}`}, lines(got[1:])); d != "" {
		t.Errorf("Deploy patches (-want +got):\n%s", d)
	}
	if err := k.SetWeight(ctx, tg, 20); err != nil {
		t.Fatal(err)
	}
	want := []string{`PATCH /apis/networking.k8s.io/v1/namespaces/shop/ingresses/shop-canary application/merge-patch+json {"metadata":{"annotations":{"nginx.ingress.kubernetes.io/canary":"true","nginx.ingress.kubernetes.io/canary-weight":"20"}}}`}
	if d := cmp.Diff(want, lines(s.changes())); d != "" {
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
	s := newAPIServer(t, route, stableDeployment("shop-v1", "v1", 2), service("shop-canary"))
	controller(t, s)
	k := provider(t, kubernetes.Config{Traffic: kubernetes.TrafficGateway, HTTPRoute: "shop", CanaryService: "shop-canary", StableService: "shop"}, s)
	if err := k.Check(deployer.Canary); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.Canary}
	if err := k.SetWeight(ctx, tg, 30); err != nil {
		t.Fatal(err)
	}
	want := []string{`PATCH /apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/shop application/json-patch+json [{"op":"add","path":"/spec/rules/1/backendRefs/0/weight","value":70},{"op":"add","path":"/spec/rules/1/backendRefs/1/weight","value":30}]`}
	if d := cmp.Diff(want, lines(s.changes())); d != "" {
		t.Errorf("HTTPRoute patches (-want +got):\n%s", d)
	}
	u := map[string]any{}
	s.get(t, "httproutes", "shop", &u)
	rules, _, _ := unstructured.NestedSlice(u, "spec", "rules")
	refs := rules[1].(map[string]any)["backendRefs"].([]any)
	if refs[0].(map[string]any)["weight"] != float64(70) || refs[1].(map[string]any)["weight"] != float64(30) {
		t.Errorf("route after the patch: %v", refs)
	}
	if _, ok := rules[0].(map[string]any)["backendRefs"].([]any)[0].(map[string]any)["weight"]; ok {
		t.Errorf("the /admin rule's backendRef got a weight: %v", rules[0])
	}
}

func TestRollingPausesBetweenBatches(t *testing.T) {
	s := newAPIServer(t, stableDeployment("shop", "v1", 4))
	controller(t, s)
	k := provider(t, kubernetes.Config{Deployment: "shop", MaxSurge: "1", MaxUnavailable: "1"}, s)
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
	want := []string{`PATCH /apis/apps/v1/namespaces/shop/deployments/shop application/strategic-merge-patch+json {"metadata":{"annotations":{"lockstep.dev/stable-image":"registry.example/shop:v1"}},"spec":{"paused":true,"strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":1},"type":"RollingUpdate"},"template":{"metadata":{"annotations":{"lockstep.dev/release":"v2"}},"spec":{"containers":[{"image":"registry.example/shop:v2","name":"shop"}]}}}}`}
	if d := cmp.Diff(want, lines(s.changes())); d != "" {
		t.Errorf("Deploy patches (-want +got):\n%s", d)
	}
	// Deployed paused: the new template is there (the patch merged into
	// the containers by name), no replica runs it yet.
	time.Sleep(30 * time.Millisecond)
	cur := s.deployment(t, "shop")
	if d := cmp.Diff(containers("registry.example/shop:v2"), cur.Spec.Template.Spec.Containers); d != "" {
		t.Errorf("containers after Deploy (-want +got):\n%s", d)
	}
	if !cur.Spec.Paused || cur.Status.UpdatedReplicas != 0 {
		t.Errorf("after Deploy: paused %v, %d updated; want paused, 0 updated", cur.Spec.Paused, cur.Status.UpdatedReplicas)
	}
	if err := k.SetWeight(ctx, tg, 50); err != nil {
		t.Fatal(err)
	}
	want = []string{`PATCH /apis/apps/v1/namespaces/shop/deployments/shop application/merge-patch+json {"spec":{"paused":false}}`, `PATCH /apis/apps/v1/namespaces/shop/deployments/shop application/merge-patch+json {"spec":{"paused":true}}`}
	if d := cmp.Diff(want, lines(s.changes())); d != "" {
		t.Errorf("SetWeight(50) patches (-want +got):\n%s", d)
	}
	cur = s.deployment(t, "shop")
	if cur.Status.UpdatedReplicas < 2 || !cur.Spec.Paused {
		t.Errorf("after batch 2 of 4: %d updated, paused %v; want ≥2, paused", cur.Status.UpdatedReplicas, cur.Spec.Paused)
	}
	time.Sleep(30 * time.Millisecond)
	if n := s.deployment(t, "shop").Status.UpdatedReplicas; n != cur.Status.UpdatedReplicas {
		t.Errorf("paused between batches, the rollout went on from %d to %d updated", cur.Status.UpdatedReplicas, n)
	}
	if err := k.Rollback(ctx, tg); err != nil {
		t.Fatal(err)
	}
	want = []string{`PATCH /apis/apps/v1/namespaces/shop/deployments/shop application/strategic-merge-patch+json {"spec":{"paused":false,"template":{"metadata":{"annotations":{"lockstep.dev/release":"v1"}},"spec":{"containers":[{"image":"registry.example/shop:v1","name":"shop"}]}}}}`}
	if d := cmp.Diff(want, lines(s.changes())); d != "" {
		t.Errorf("Rollback patches (-want +got):\n%s", d)
	}
	cur = s.deployment(t, "shop")
	if d := cmp.Diff(containers("registry.example/shop:v1"), cur.Spec.Template.Spec.Containers); d != "" {
		t.Errorf("containers after Rollback (-want +got):\n%s", d)
	}
	if cur.Spec.Paused {
		t.Error("after Rollback the Deployment is still paused")
	}
}

// Rolling waits for the controller to observe the patched generation: a
// status from before the new template must not count as updated replicas.
func TestRollingWaitsForTheNewGeneration(t *testing.T) {
	for _, c := range []struct {
		name    string
		do      func(*kubernetes.Kubernetes, deployer.Target) error
		updated int32 // at least, when it returns
	}{
		{"SetWeight", func(k *kubernetes.Kubernetes, tg deployer.Target) error {
			return k.SetWeight(context.Background(), tg, 50)
		}, 2},
		{"Promote", func(k *kubernetes.Kubernetes, tg deployer.Target) error {
			return k.Promote(context.Background(), tg)
		}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newAPIServer(t, stableDeployment("shop", "v1", 4))
			hold := controller(t, s)
			k := provider(t, kubernetes.Config{Deployment: "shop", MaxSurge: "1", MaxUnavailable: "1"}, s)
			tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.Rolling}
			hold.Lock() // the status still says 4 of 4 updated, of generation 1
			if err := k.Deploy(context.Background(), tg); err != nil {
				hold.Unlock()
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- c.do(k, tg) }()
			select {
			case err := <-done:
				hold.Unlock()
				t.Fatalf("%s returned (%v) before the controller observed the new template", c.name, err)
			case <-time.After(50 * time.Millisecond):
			}
			hold.Unlock()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s did not return within 5s of the rollout going on", c.name)
			}
			if d := s.deployment(t, "shop"); d.Status.UpdatedReplicas < c.updated {
				t.Errorf("%s returned with %d replicas updated; want ≥%d", c.name, d.Status.UpdatedReplicas, c.updated)
			}
		})
	}
}

// API errors are fault.Unavailable (exit 4); a missing object is a
// configuration error naming it, and nothing to roll back.
func TestAPIErrors(t *testing.T) {
	if _, err := kubernetes.New(kubernetes.Config{Deployment: "shop-{{.Release}}"}, kubernetes.Options{}); fault.KindOf(err) != fault.Usage {
		t.Errorf("New without a client = %v; want a usage error", err)
	}
	s := newAPIServer(t, stableDeployment("shop-v1", "v1", 2), service("shop"))
	k := provider(t, kubernetes.Config{Service: "shop"}, s)
	ctx := context.Background()
	tg := deployer.Target{Release: "v2", Stable: "v1", Strategy: deployer.BlueGreen}

	err := k.Deploy(ctx, deployer.Target{Release: "v2", Stable: "v0", Strategy: deployer.BlueGreen})
	if fault.KindOf(err) != fault.Usage || !strings.Contains(err.Error(), "deployment shop-v0 in namespace shop") {
		t.Errorf("Deploy with no stable Deployment = %v; want a usage error naming shop-v0", err)
	}
	if err := k.Rollback(ctx, tg); err != nil {
		t.Errorf("Rollback with no candidate = %v; want nil", err)
	}
	s.mu.Lock()
	s.fail = func(method, path string) int { return http.StatusInternalServerError }
	s.mu.Unlock()
	if err := k.Deploy(ctx, tg); fault.KindOf(err) != fault.Unavailable {
		t.Errorf("Deploy with the API failing = %v; want fault.Unavailable", err)
	}
	s.mu.Lock()
	s.fail = func(method, path string) int {
		if method == http.MethodPatch {
			return http.StatusServiceUnavailable
		}
		return 0
	}
	s.mu.Unlock()
	if err := k.SetWeight(ctx, tg, 100); fault.KindOf(err) != fault.Unavailable || !strings.Contains(err.Error(), "patch service shop") {
		t.Errorf("SetWeight with patches failing = %v; want fault.Unavailable naming the Service", err)
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
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	k, err := kubernetes.New(kubernetes.Config{Namespace: ns, Deployment: "shop-{{.Release}}"}, kubernetes.Options{Dynamic: dyn})
	if err != nil {
		t.Fatal(err)
	}
	n, err := k.Instances(context.Background(), deployer.Target{Release: "v1", Strategy: deployer.Rolling})
	if err != nil {
		t.Fatalf("GET through the in-cluster config: %v", err)
	}
	if n != 2 || auth != "Bearer pod-token" {
		t.Errorf("got deployment shop-v1 with %d replicas and Authorization %q; want 2 with Bearer pod-token", n, auth)
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
