// Package kubernetes is the deployer.Provider for Kubernetes, through
// client-go's dynamic client: objects are read as unstructured and
// converted to k8s.io/api's types, never through the typed clientset
// (whose scheme costs every lockstep command milliseconds of start-up).
// One Deployment per release (named by the deployment template,
// e.g. shop-{{.Release}}) for canary and blue-green; the candidate's is
// created as a copy of stable's with the new image and the version label.
//
//   - blue-green: green is scaled to the full replica count beside blue; the
//     switch, and the switch back, patch the Service's selector
//     (version_label: release); promotion scales blue to zero.
//   - canary, traffic "replicas": the share is the ratio of pods, rounded
//     up to whole pods (the Service selects both releases).
//   - canary, traffic "ingress-nginx": the canary Ingress's annotations
//     nginx.ingress.kubernetes.io/canary and canary-weight carry the share
//     to canary_service, whose selector lockstep points at the candidate.
//   - canary, traffic "gateway-api": the weights of the HTTPRoute's
//     backendRefs to stable_service and canary_service (no Gateway API
//     types needed).
//   - rolling: the one Deployment is updated in place by its own
//     RollingUpdate strategy (max_surge, max_unavailable), paused at each
//     batch while lockstep analyses, watching its status.
//
// Every change is a patch (merge, strategic merge for the pod template,
// JSON patch for HTTPRoute weights), so what lockstep does is what the
// tests see. API errors are fault.Unavailable (exit 4).
package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/internal/fault"
)

// Config is the deploy.kubernetes section.
type Config struct {
	Kubeconfig string `yaml:"kubeconfig"`
	Context    string `yaml:"context"`
	Namespace  string `yaml:"namespace"`
	// Deployment names a release's Deployment: a template over .Release.
	Deployment string `yaml:"deployment"`
	// Container is the container whose image is set (default the first).
	Container string `yaml:"container"`
	// Image is the candidate's image: a template over .Release.
	Image string `yaml:"image"`
	// Replicas is the total (default: stable's replica count).
	Replicas int `yaml:"replicas"`
	// VersionLabel is the pod label carrying the release.
	VersionLabel  string        `yaml:"version_label"`
	Traffic       string        `yaml:"traffic"`
	Service       string        `yaml:"service"`
	CanaryService string        `yaml:"canary_service"`
	StableService string        `yaml:"stable_service"`
	Ingress       string        `yaml:"ingress"`
	HTTPRoute     string        `yaml:"http_route"`
	Timeout       time.Duration `yaml:"timeout"`
	// MaxSurge and MaxUnavailable of rolling; cmd/lockstep copies
	// deploy.rolling's.
	MaxSurge       string `yaml:"-"`
	MaxUnavailable string `yaml:"-"`
}

// Traffic modes of a canary.
const (
	TrafficReplicas = "replicas"
	TrafficIngress  = "ingress-nginx"
	TrafficGateway  = "gateway-api"
)

// Annotations lockstep reads and writes.
const (
	annCanary       = "nginx.ingress.kubernetes.io/canary"
	annCanaryWeight = "nginx.ingress.kubernetes.io/canary-weight"
	annTotal        = "lockstep.dev/total-replicas"
	annStableImage  = "lockstep.dev/stable-image"
	annRelease      = "lockstep.dev/release"
	// DefaultVersionLabel is the pod label carrying the release.
	DefaultVersionLabel = "lockstep.dev/release"
)

// The resources lockstep reads and patches.
var (
	// HTTPRouteGVR is the Gateway API HTTPRoute resource.
	HTTPRouteGVR  = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	deploymentGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	serviceGVR    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	ingressGVR    = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}
)

// gvrs are the resources by the kind names patch takes.
var gvrs = map[string]schema.GroupVersionResource{
	"deployment": deploymentGVR,
	"service":    serviceGVR,
	"ingress":    ingressGVR,
	"httproute":  HTTPRouteGVR,
}

// Options are the client and its settings.
type Options struct {
	// Dynamic is the client for every resource (required).
	Dynamic dynamic.Interface
	Logger  *slog.Logger
	// Poll is the status polling period (default 1s).
	Poll time.Duration
}

// Kubernetes drives Deployments, Services, Ingresses and HTTPRoutes.
type Kubernetes struct {
	cfg  Config
	dyn  dynamic.Interface
	log  *slog.Logger
	poll time.Duration
	name *template.Template
	img  *template.Template
}

var (
	_ deployer.Provider = (*Kubernetes)(nil)
	_ deployer.Checker  = (*Kubernetes)(nil)
	_ deployer.Sizer    = (*Kubernetes)(nil)
)

// RESTConfig loads the client configuration: cfg.Kubeconfig, else in the
// cluster (getenv("KUBERNETES_SERVICE_HOST") set), else $KUBECONFIG, else
// ~/.kube/config; cfg.Context overrides the current context.
func RESTConfig(cfg Config, getenv func(string) string) (*rest.Config, error) {
	if cfg.Kubeconfig == "" && getenv("KUBERNETES_SERVICE_HOST") != "" {
		return inCluster(getenv, serviceAccountDir)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.Precedence = nil
	switch {
	case cfg.Kubeconfig != "":
		rules.ExplicitPath = cfg.Kubeconfig
	case getenv("KUBECONFIG") != "":
		rules.ExplicitPath = getenv("KUBECONFIG")
	case getenv("HOME") != "":
		rules.ExplicitPath = getenv("HOME") + "/.kube/config"
	}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: cfg.Context}).ClientConfig()
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "deploy.kubernetes.kubeconfig: %v", err)
	}
	return rc, nil
}

// serviceAccountDir is where Kubernetes mounts a pod's service account.
const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// inCluster is rest.InClusterConfig with the environment and the mount
// point injected: the API server from KUBERNETES_SERVICE_HOST/PORT, the
// pod's token (re-read by client-go as it rotates) and the cluster CA.
func inCluster(getenv func(string) string, dir string) (*rest.Config, error) {
	host, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
	if port == "" {
		return nil, fault.Errorf(fault.Usage, "deploy.kubernetes: in the cluster (KUBERNETES_SERVICE_HOST is set) but KUBERNETES_SERVICE_PORT is not")
	}
	tokenFile, caFile := filepath.Join(dir, "token"), filepath.Join(dir, "ca.crt")
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "deploy.kubernetes: in-cluster service account token: %v (set deploy.kubernetes.kubeconfig outside a pod)", err)
	}
	if _, err := os.Stat(caFile); err != nil {
		return nil, fault.Errorf(fault.Usage, "deploy.kubernetes: in-cluster CA: %v", err)
	}
	return &rest.Config{
		Host:            "https://" + net.JoinHostPort(host, port),
		TLSClientConfig: rest.TLSClientConfig{CAFile: caFile},
		BearerToken:     strings.TrimSpace(string(token)),
		BearerTokenFile: tokenFile,
	}, nil
}

// New checks the settings. Errors are fault.Usage naming them.
func New(cfg Config, o Options) (*Kubernetes, error) {
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.VersionLabel == "" {
		cfg.VersionLabel = DefaultVersionLabel
	}
	if cfg.Traffic == "" {
		cfg.Traffic = TrafficReplicas
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Minute
	}
	if cfg.MaxSurge == "" {
		cfg.MaxSurge = "25%"
	}
	if cfg.MaxUnavailable == "" {
		cfg.MaxUnavailable = "25%"
	}
	if cfg.Deployment == "" {
		return nil, fault.Errorf(fault.Usage, "deploy.kubernetes.deployment: missing")
	}
	k := &Kubernetes{cfg: cfg, dyn: o.Dynamic, log: o.Logger, poll: o.Poll}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if k.poll == 0 {
		k.poll = time.Second
	}
	var err error
	if k.name, err = parse("deployment", cfg.Deployment); err != nil {
		return nil, err
	}
	if cfg.Image != "" {
		if k.img, err = parse("image", cfg.Image); err != nil {
			return nil, err
		}
	}
	if k.dyn == nil {
		return nil, fault.Errorf(fault.Usage, "deploy.kubernetes: no Kubernetes client")
	}
	return k, nil
}

func parse(setting, s string) (*template.Template, error) {
	t, err := template.New(setting).Option("missingkey=error").Parse(s)
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "deploy.kubernetes.%s: %v", setting, err)
	}
	if _, err := exec(t, "r"); err != nil {
		return nil, fault.Errorf(fault.Usage, "deploy.kubernetes.%s: %v", setting, err)
	}
	return t, nil
}

func exec(t *template.Template, release string) (string, error) {
	var b bytes.Buffer
	err := t.Execute(&b, struct{ Release string }{release})
	return b.String(), err
}

func (k *Kubernetes) deploymentName(release string) string {
	s, _ := exec(k.name, release)
	return s
}

// Check says what each strategy needs.
func (k *Kubernetes) Check(s deployer.Strategy) error {
	c := k.cfg
	switch s {
	case deployer.BlueGreen:
		if c.Service == "" {
			return fmt.Errorf("%w: blue-green needs deploy.kubernetes.service, whose selector switches", deployer.ErrUnsupported)
		}
	case deployer.Canary:
		switch c.Traffic {
		case TrafficReplicas:
		case TrafficIngress:
			if c.Ingress == "" || c.CanaryService == "" || c.StableService == "" {
				return fmt.Errorf("%w: traffic ingress-nginx needs deploy.kubernetes.ingress, canary_service and stable_service", deployer.ErrUnsupported)
			}
		case TrafficGateway:
			if c.HTTPRoute == "" || c.CanaryService == "" || c.StableService == "" {
				return fmt.Errorf("%w: traffic gateway-api needs deploy.kubernetes.http_route, canary_service and stable_service", deployer.ErrUnsupported)
			}
		default:
			return fmt.Errorf("%w: deploy.kubernetes.traffic %q", deployer.ErrUnsupported, c.Traffic)
		}
	case deployer.Rolling:
		if k.deploymentName("a") != k.deploymentName("b") {
			return fmt.Errorf("%w: rolling updates one Deployment in place: deploy.kubernetes.deployment must not depend on .Release", deployer.ErrUnsupported)
		}
	}
	if k.img == nil {
		return fmt.Errorf("%w: deploy.kubernetes.image is not set", deployer.ErrUnsupported)
	}
	return nil
}

// Instances is the replica count a rolling update replaces.
func (k *Kubernetes) Instances(ctx context.Context, t deployer.Target) (int, error) {
	d, err := k.getDeployment(ctx, k.deploymentName(t.Release))
	if err != nil {
		return 0, err
	}
	return k.total(d), nil
}

func (k *Kubernetes) total(d *appsv1.Deployment) int {
	if k.cfg.Replicas > 0 {
		return k.cfg.Replicas
	}
	if s := d.Annotations[annTotal]; s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	}
	if d.Spec.Replicas != nil {
		return int(*d.Spec.Replicas)
	}
	return 1
}

func (k *Kubernetes) apiErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if apierrors.IsNotFound(err) {
		return fault.Errorf(fault.Usage, "%s in namespace %s: %v", what, k.cfg.Namespace, err)
	}
	return fault.Errorf(fault.Unavailable, "kubernetes: %s: %v", what, err)
}

func (k *Kubernetes) resource(gvr schema.GroupVersionResource) dynamic.ResourceInterface {
	return k.dyn.Resource(gvr).Namespace(k.cfg.Namespace)
}

func (k *Kubernetes) getDeployment(ctx context.Context, name string) (*appsv1.Deployment, error) {
	d, err := k.readDeployment(ctx, name)
	if err != nil {
		return nil, k.apiErr("deployment "+name, err)
	}
	return d, nil
}

// readDeployment gets a Deployment as unstructured and converts it; errors
// are the API's, unmapped.
func (k *Kubernetes) readDeployment(ctx context.Context, name string) (*appsv1.Deployment, error) {
	u, err := k.resource(deploymentGVR).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	d := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), d); err != nil {
		return nil, fmt.Errorf("decoding the deployment: %w", err)
	}
	return d, nil
}

func (k *Kubernetes) patch(ctx context.Context, kind, name string, pt types.PatchType, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	gvr, ok := gvrs[kind]
	if !ok {
		return fmt.Errorf("kubernetes: patch of unknown kind %q", kind)
	}
	// The dynamic client sends b as it is, with pt as its content type: the
	// API server applies strategic merge patches of built-in types itself.
	_, err = k.resource(gvr).Patch(ctx, name, pt, b, metav1.PatchOptions{})
	k.log.Debug("kubernetes patch", "kind", kind, "name", name, "patch", string(b))
	return k.apiErr("patch "+kind+" "+name, err)
}

func (k *Kubernetes) scale(ctx context.Context, name string, n int) error {
	return k.patch(ctx, "deployment", name, types.MergePatchType, map[string]any{"spec": map[string]any{"replicas": n}})
}

// Deploy creates the candidate's Deployment (canary, blue-green) or
// prepares the in-place update, paused (rolling).
func (k *Kubernetes) Deploy(ctx context.Context, t deployer.Target) error {
	image, err := exec(k.img, t.Release)
	if err != nil {
		return fault.Errorf(fault.Usage, "deploy.kubernetes.image: %v", err)
	}
	if t.Strategy == deployer.Rolling {
		return k.deployRolling(ctx, t, image)
	}
	stable, err := k.getDeployment(ctx, k.deploymentName(t.Stable))
	if err != nil {
		return err
	}
	total := k.total(stable)
	replicas := total
	if t.Strategy == deployer.Canary && k.cfg.Traffic == TrafficReplicas {
		replicas = 0 // pods are the traffic: SetWeight scales
	}
	name := k.deploymentName(t.Release)
	cand := candidateFrom(stable, name, k.cfg.VersionLabel, t.Release, k.cfg.Container, image, replicas, total)
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(cand)
	if err != nil {
		return fmt.Errorf("deployment %s: %w", name, err)
	}
	_, err = k.resource(deploymentGVR).Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// A re-run: bring the existing one to the same spec.
		err = k.patch(ctx, "deployment", name, types.StrategicMergePatchType, map[string]any{
			"spec": map[string]any{"replicas": replicas, "template": map[string]any{"spec": map[string]any{
				"containers": []any{map[string]any{"name": containerName(stable, k.cfg.Container), "image": image}}}}}})
		if err != nil {
			return err
		}
	} else if err != nil {
		return k.apiErr("create deployment "+name, err)
	}
	if t.Strategy == deployer.Canary && k.cfg.Traffic != TrafficReplicas {
		// The canary Service selects the candidate's pods.
		return k.patch(ctx, "service", k.cfg.CanaryService, types.MergePatchType, map[string]any{"spec": map[string]any{"selector": map[string]any{k.cfg.VersionLabel: t.Release}}})
	}
	return nil
}

func containerName(d *appsv1.Deployment, want string) string {
	if want != "" {
		return want
	}
	if cs := d.Spec.Template.Spec.Containers; len(cs) > 0 {
		return cs[0].Name
	}
	return ""
}

func candidateFrom(stable *appsv1.Deployment, name, label, release, container, image string, replicas, total int) *appsv1.Deployment {
	d := &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: stable.Namespace, Labels: map[string]string{},
			Annotations: map[string]string{annTotal: strconv.Itoa(total), annRelease: release}},
		Spec: *stable.Spec.DeepCopy(),
	}
	for k, v := range stable.Labels {
		d.Labels[k] = v
	}
	d.Labels[label] = release
	n := int32(replicas)
	d.Spec.Replicas = &n
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	if stable.Spec.Selector != nil {
		for k, v := range stable.Spec.Selector.MatchLabels {
			sel.MatchLabels[k] = v
		}
	}
	sel.MatchLabels[label] = release
	d.Spec.Selector = sel
	if d.Spec.Template.Labels == nil {
		d.Spec.Template.Labels = map[string]string{}
	}
	d.Spec.Template.Labels[label] = release
	cn := containerName(stable, container)
	for i := range d.Spec.Template.Spec.Containers {
		if d.Spec.Template.Spec.Containers[i].Name == cn {
			d.Spec.Template.Spec.Containers[i].Image = image
		}
	}
	return d
}

func (k *Kubernetes) deployRolling(ctx context.Context, t deployer.Target, image string) error {
	name := k.deploymentName(t.Release)
	d, err := k.getDeployment(ctx, name)
	if err != nil {
		return err
	}
	cn := containerName(d, k.cfg.Container)
	stableImage := d.Annotations[annStableImage]
	if d.Spec.Template.Annotations[annRelease] != t.Release || stableImage == "" {
		for _, c := range d.Spec.Template.Spec.Containers {
			if c.Name == cn {
				stableImage = c.Image
			}
		}
	}
	return k.patch(ctx, "deployment", name, types.StrategicMergePatchType, map[string]any{
		"metadata": map[string]any{"annotations": map[string]any{annStableImage: stableImage}},
		"spec": map[string]any{
			"paused": true,
			"strategy": map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{
				"maxSurge": intOrPercent(k.cfg.MaxSurge), "maxUnavailable": intOrPercent(k.cfg.MaxUnavailable)}},
			"template": map[string]any{
				"metadata": map[string]any{"annotations": map[string]any{annRelease: t.Release}},
				"spec":     map[string]any{"containers": []any{map[string]any{"name": cn, "image": image}}},
			},
		},
	})
}

func intOrPercent(s string) any {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return s
}

// SetWeight moves the share of traffic (canary, blue-green) or of updated
// replicas (rolling).
func (k *Kubernetes) SetWeight(ctx context.Context, t deployer.Target, w int) error {
	if w < 0 || w > 100 {
		return fmt.Errorf("weight %d is not a percentage", w)
	}
	switch {
	case t.Strategy == deployer.BlueGreen:
		rel := t.Stable
		if w > 0 {
			rel = t.Release
		}
		return k.selectRelease(ctx, k.cfg.Service, rel)
	case t.Strategy == deployer.Rolling:
		return k.roll(ctx, t, w)
	case k.cfg.Traffic == TrafficIngress:
		return k.ingressWeight(ctx, w)
	case k.cfg.Traffic == TrafficGateway:
		return k.routeWeights(ctx, w)
	}
	return k.replicaWeight(ctx, t, w)
}

func (k *Kubernetes) selectRelease(ctx context.Context, service, release string) error {
	return k.patch(ctx, "service", service, types.MergePatchType, map[string]any{"spec": map[string]any{"selector": map[string]any{k.cfg.VersionLabel: release}}})
}

func (k *Kubernetes) replicaWeight(ctx context.Context, t deployer.Target, w int) error {
	cand, err := k.getDeployment(ctx, k.deploymentName(t.Release))
	if err != nil {
		return err
	}
	total := k.total(cand)
	n := int(math.Ceil(float64(w) * float64(total) / 100))
	// Scale the candidate up first, then stable down: capacity never dips.
	if err := k.scale(ctx, cand.Name, n); err != nil {
		return err
	}
	return k.scale(ctx, k.deploymentName(t.Stable), total-n)
}

func (k *Kubernetes) ingressWeight(ctx context.Context, w int) error {
	return k.patch(ctx, "ingress", k.cfg.Ingress, types.MergePatchType, map[string]any{"metadata": map[string]any{"annotations": map[string]any{
		annCanary: "true", annCanaryWeight: strconv.Itoa(w)}}})
}

// routeWeights sets the weights of the HTTPRoute's backendRefs to the
// stable and canary Services, with a JSON patch of exactly those fields.
func (k *Kubernetes) routeWeights(ctx context.Context, w int) error {
	u, err := k.resource(HTTPRouteGVR).Get(ctx, k.cfg.HTTPRoute, metav1.GetOptions{})
	if err != nil {
		return k.apiErr("httproute "+k.cfg.HTTPRoute, err)
	}
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
	var ops []map[string]any
	for i, r := range rules {
		refs, _, _ := unstructured.NestedSlice(r.(map[string]any), "backendRefs")
		for j, ref := range refs {
			name, _ := ref.(map[string]any)["name"].(string)
			weight := -1
			switch name {
			case k.cfg.StableService:
				weight = 100 - w
			case k.cfg.CanaryService:
				weight = w
			}
			if weight >= 0 {
				ops = append(ops, map[string]any{"op": "add", "path": fmt.Sprintf("/spec/rules/%d/backendRefs/%d/weight", i, j), "value": weight})
			}
		}
	}
	if len(ops) < 2 {
		return fault.Errorf(fault.Usage, "deploy.kubernetes.http_route %s: no rule has backendRefs to both %s and %s", k.cfg.HTTPRoute, k.cfg.StableService, k.cfg.CanaryService)
	}
	return k.patch(ctx, "httproute", k.cfg.HTTPRoute, types.JSONPatchType, ops)
}

// roll lets the Deployment controller update replicas until at least the
// weight's share runs the candidate, then pauses it again.
func (k *Kubernetes) roll(ctx context.Context, t deployer.Target, w int) error {
	name := k.deploymentName(t.Release)
	d, err := k.getDeployment(ctx, name)
	if err != nil {
		return err
	}
	total := k.total(d)
	want := deployer.InstancesFor(w, total)
	if err := k.patch(ctx, "deployment", name, types.MergePatchType, map[string]any{"spec": map[string]any{"paused": false}}); err != nil {
		return err
	}
	if err := k.waitStatus(ctx, name, func(d *appsv1.Deployment) bool {
		return d.Status.ObservedGeneration >= d.Generation && int(d.Status.UpdatedReplicas) >= want
	}); err != nil {
		return err
	}
	if w >= 100 {
		return nil
	}
	return k.patch(ctx, "deployment", name, types.MergePatchType, map[string]any{"spec": map[string]any{"paused": true}})
}

func (k *Kubernetes) waitStatus(ctx context.Context, name string, done func(*appsv1.Deployment) bool) error {
	deadline := time.Now().Add(k.cfg.Timeout)
	for {
		d, err := k.getDeployment(ctx, name)
		if err != nil {
			return err
		}
		if done(d) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("deployment %s: status did not get there within %s (updated %d, ready %d, available %d of %d)", name, k.cfg.Timeout,
				d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas, k.total(d))
		}
		t := time.NewTimer(k.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Promote retires stable: scaled to zero, and for traffic routers the
// stable Service now selects the candidate and the canary share is reset.
func (k *Kubernetes) Promote(ctx context.Context, t deployer.Target) error {
	if t.Strategy == deployer.Rolling {
		name := k.deploymentName(t.Release)
		if err := k.patch(ctx, "deployment", name, types.MergePatchType, map[string]any{"spec": map[string]any{"paused": false}}); err != nil {
			return err
		}
		return k.waitStatus(ctx, name, func(d *appsv1.Deployment) bool {
			n := int32(k.total(d))
			return d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas >= n && d.Status.AvailableReplicas >= n
		})
	}
	cand, err := k.getDeployment(ctx, k.deploymentName(t.Release))
	if err != nil {
		return err
	}
	total := k.total(cand)
	if err := k.scale(ctx, cand.Name, total); err != nil {
		return err
	}
	switch {
	case t.Strategy == deployer.BlueGreen:
		if err := k.selectRelease(ctx, k.cfg.Service, t.Release); err != nil {
			return err
		}
	case k.cfg.Traffic == TrafficIngress:
		if err := k.selectRelease(ctx, k.cfg.StableService, t.Release); err != nil {
			return err
		}
		if err := k.ingressWeight(ctx, 0); err != nil {
			return err
		}
	case k.cfg.Traffic == TrafficGateway:
		if err := k.selectRelease(ctx, k.cfg.StableService, t.Release); err != nil {
			return err
		}
		if err := k.routeWeights(ctx, 0); err != nil {
			return err
		}
	}
	if t.Stable == "" {
		return nil
	}
	return k.scale(ctx, k.deploymentName(t.Stable), 0)
}

// Rollback puts traffic on stable and scales the candidate to zero unless
// Target.KeepCandidate (ignored for traffic "replicas", where pods are the
// traffic). A candidate that does not exist is fine.
func (k *Kubernetes) Rollback(ctx context.Context, t deployer.Target) error {
	if t.Strategy == deployer.Rolling {
		name := k.deploymentName(t.Release)
		d, err := k.getDeployment(ctx, name)
		if err != nil {
			return err
		}
		img := d.Annotations[annStableImage]
		if img == "" || d.Spec.Template.Annotations[annRelease] != t.Release {
			return nil // never updated to the candidate
		}
		return k.patch(ctx, "deployment", name, types.StrategicMergePatchType, map[string]any{"spec": map[string]any{
			"paused":   false,
			"template": map[string]any{"metadata": map[string]any{"annotations": map[string]any{annRelease: t.Stable}}, "spec": map[string]any{"containers": []any{map[string]any{"name": containerName(d, k.cfg.Container), "image": img}}}},
		}})
	}
	stableName := k.deploymentName(t.Stable)
	switch {
	case t.Strategy == deployer.BlueGreen:
		if err := k.selectRelease(ctx, k.cfg.Service, t.Stable); err != nil {
			return err
		}
	case k.cfg.Traffic == TrafficIngress:
		if err := k.ingressWeight(ctx, 0); err != nil {
			return err
		}
	case k.cfg.Traffic == TrafficGateway:
		if err := k.routeWeights(ctx, 0); err != nil {
			return err
		}
	default:
		// Pods are the traffic: stable back to full size first.
		cand, err := k.readDeployment(ctx, k.deploymentName(t.Release))
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return k.apiErr("deployment "+k.deploymentName(t.Release), err)
		}
		if err := k.scale(ctx, stableName, k.total(cand)); err != nil {
			return err
		}
		return k.scale(ctx, cand.Name, 0)
	}
	if t.KeepCandidate {
		return nil
	}
	err := k.scale(ctx, k.deploymentName(t.Release), 0)
	if fault.KindOf(err) == fault.Usage { // not found: nothing deployed
		return nil
	}
	return err
}

// Health: the candidate's Deployment has all its replicas ready (rolling:
// no more unavailable than max_unavailable).
func (k *Kubernetes) Health(ctx context.Context, t deployer.Target) error {
	d, err := k.getDeployment(ctx, k.deploymentName(t.Release))
	if err != nil {
		return err
	}
	want := int32(0)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	if t.Strategy == deployer.Rolling {
		want -= int32(deployer.Resolve(k.cfg.MaxUnavailable, int(want)))
	}
	if d.Status.ObservedGeneration < d.Generation || d.Status.ReadyReplicas < want {
		return fmt.Errorf("%w: deployment %s: %d of %d replicas ready", deployer.ErrUnhealthy, d.Name, d.Status.ReadyReplicas, want)
	}
	return nil
}
