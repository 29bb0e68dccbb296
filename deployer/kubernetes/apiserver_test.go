package kubernetes_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// apiServer plays the Kubernetes API server for the four resources the
// provider uses, in namespace ns, over HTTP, so the tests drive the real
// dynamic client. Objects are stored as JSON. It serves GET of an object,
// POST to a collection and PATCH of an object: merge patch and JSON patch
// as RFC 7386 and 6902 say, strategic merge patch with k8s.io/api's type
// as the patch schema (rejected with 415 for HTTPRoute, a custom resource,
// as the real server does). As the real server does, a patch or a create
// cannot set status (the controller helper does, in process), a change of
// spec bumps metadata.generation, and errors are metav1.Status bodies.
// Unlike the real server's default it rejects unknown fields (400), so a
// misspelt field fails a test at once. Every request is recorded.
type apiServer struct {
	URL string

	mu   sync.Mutex
	objs map[string][]byte // "resource/name" → the object's JSON
	reqs []request
	rv   int
	// fail, if set, is the status code to answer a request with instead
	// (0: serve it).
	fail func(method, path string) int
}

// request is one request as the server received it.
type request struct{ Method, Path, ContentType, Body string }

func (r request) String() string {
	return strings.TrimSpace(r.Method + " " + r.Path + " " + r.ContentType + " " + r.Body)
}

// resource is one of the served resources.
type resource struct {
	name       string // plural, as in the path
	group      string
	apiVersion string
	kind       string
	// typed is the k8s.io/api type, nil for HTTPRoute.
	typed func() any
}

func (r resource) collection() string {
	if r.group == "" {
		return "/api/" + r.apiVersion + "/namespaces/" + ns + "/" + r.name
	}
	return "/apis/" + r.apiVersion + "/namespaces/" + ns + "/" + r.name
}

var resources = []resource{
	{"deployments", "apps", "apps/v1", "Deployment", func() any { return &appsv1.Deployment{} }},
	{"services", "", "v1", "Service", func() any { return &corev1.Service{} }},
	{"ingresses", "networking.k8s.io", "networking.k8s.io/v1", "Ingress", func() any { return &networkingv1.Ingress{} }},
	{"httproutes", "gateway.networking.k8s.io", "gateway.networking.k8s.io/v1", "HTTPRoute", nil},
}

func resourceOfKind(kind string) resource {
	for _, r := range resources {
		if r.kind == kind {
			return r
		}
	}
	panic("apiServer: no resource of kind " + kind)
}

// newAPIServer starts a server holding objs: Deployments, Services and
// Ingresses as k8s.io/api's types, HTTPRoutes as unstructured.
func newAPIServer(t *testing.T, objs ...runtime.Object) *apiServer {
	t.Helper()
	s := &apiServer{objs: map[string][]byte{}}
	for _, o := range objs {
		var kind string
		switch o.(type) {
		case *appsv1.Deployment:
			kind = "Deployment"
		case *corev1.Service:
			kind = "Service"
		case *networkingv1.Ingress:
			kind = "Ingress"
		case *unstructured.Unstructured:
			kind = o.(*unstructured.Unstructured).GetKind()
		default:
			t.Fatalf("apiServer: cannot store a %T", o)
		}
		res := resourceOfKind(kind)
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		m["apiVersion"], m["kind"] = res.apiVersion, res.kind
		name, _, _ := unstructured.NestedString(m, "metadata", "name")
		if err := s.store(res, name, m); err != nil {
			t.Fatalf("apiServer: storing %s %s: %v", kind, name, err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// client is a real dynamic client of the server.
func (s *apiServer) client(t *testing.T) dynamic.Interface {
	t.Helper()
	// QPS -1: no client-side rate limit, the tests poll every 5ms.
	dyn, err := dynamic.NewForConfig(&rest.Config{Host: s.URL, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	return dyn
}

// store normalizes m (through the typed struct, rejecting unknown fields),
// gives it a new resourceVersion and stores it. Callers hold s.mu or own s.
func (s *apiServer) store(res resource, name string, m map[string]any) error {
	if name == "" {
		return fmt.Errorf("metadata.name is missing")
	}
	if err := unstructured.SetNestedField(m, ns, "metadata", "namespace"); err != nil {
		return err
	}
	s.rv++
	if err := unstructured.SetNestedField(m, strconv.Itoa(s.rv), "metadata", "resourceVersion"); err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if res.typed != nil {
		obj := res.typed()
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(obj); err != nil {
			return err
		}
		if b, err = json.Marshal(obj); err != nil {
			return err
		}
	}
	s.objs[res.name+"/"+name] = b
	return nil
}

func (s *apiServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	path := r.URL.Path
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	s.reqs = append(s.reqs, request{r.Method, path, r.Header.Get("Content-Type"), string(body)})
	if s.fail != nil {
		if code := s.fail(r.Method, r.URL.Path); code != 0 {
			writeStatus(w, apierrors.NewGenericServerResponse(code, strings.ToLower(r.Method), schema.GroupResource{}, "", "injected failure", 0, true))
			return
		}
	}
	var res resource
	var name string
	found := false
	for _, c := range resources {
		if p := c.collection(); r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/") {
			res, name, found = c, strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, p), "/"), true
		}
	}
	if !found || strings.Contains(name, "/") {
		writeStatus(w, apierrors.NewNotFound(schema.GroupResource{}, r.URL.Path))
		return
	}
	gr := schema.GroupResource{Group: res.group, Resource: res.name}
	switch {
	case r.Method == http.MethodGet && name != "":
		b, ok := s.objs[res.name+"/"+name]
		if !ok {
			writeStatus(w, apierrors.NewNotFound(gr, name))
			return
		}
		writeJSON(w, http.StatusOK, b)
	case r.Method == http.MethodPost && name == "":
		s.create(w, res, gr, r.Header.Get("Content-Type"), body)
	case r.Method == http.MethodPatch && name != "":
		s.patch(w, res, gr, name, r.Header.Get("Content-Type"), body)
	default:
		writeStatus(w, apierrors.NewMethodNotSupported(gr, r.Method))
	}
}

func (s *apiServer) create(w http.ResponseWriter, res resource, gr schema.GroupResource, contentType string, body []byte) {
	if contentType != "application/json" {
		writeStatus(w, unsupportedMediaType(contentType))
		return
	}
	m := map[string]any{}
	if err := json.Unmarshal(body, &m); err != nil {
		writeStatus(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	if m["apiVersion"] != res.apiVersion || m["kind"] != res.kind {
		writeStatus(w, apierrors.NewBadRequest(fmt.Sprintf("a %v %v posted to %s", m["apiVersion"], m["kind"], res.name)))
		return
	}
	name, _, _ := unstructured.NestedString(m, "metadata", "name")
	if n, _, _ := unstructured.NestedString(m, "metadata", "namespace"); n != "" && n != ns {
		writeStatus(w, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request"))
		return
	}
	if _, ok := s.objs[res.name+"/"+name]; ok {
		writeStatus(w, apierrors.NewAlreadyExists(gr, name))
		return
	}
	delete(m, "status")
	_ = unstructured.SetNestedField(m, int64(1), "metadata", "generation")
	_ = unstructured.SetNestedField(m, fmt.Sprintf("uid-%d", s.rv+1), "metadata", "uid")
	_ = unstructured.SetNestedField(m, "2026-01-01T00:00:00Z", "metadata", "creationTimestamp")
	if err := s.store(res, name, m); err != nil {
		writeStatus(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	writeJSON(w, http.StatusCreated, s.objs[res.name+"/"+name])
}

func (s *apiServer) patch(w http.ResponseWriter, res resource, gr schema.GroupResource, name, contentType string, body []byte) {
	orig, ok := s.objs[res.name+"/"+name]
	if !ok {
		writeStatus(w, apierrors.NewNotFound(gr, name))
		return
	}
	var out []byte
	var err error
	switch types.PatchType(contentType) {
	case types.MergePatchType:
		out, err = jsonpatch.MergePatch(orig, body)
	case types.JSONPatchType:
		var p jsonpatch.Patch
		if p, err = jsonpatch.DecodePatch(body); err == nil {
			out, err = p.Apply(orig)
		}
	case types.StrategicMergePatchType:
		if res.typed == nil {
			writeStatus(w, unsupportedMediaType(contentType))
			return
		}
		out, err = strategicpatch.StrategicMergePatch(orig, body, res.typed())
	default:
		writeStatus(w, unsupportedMediaType(contentType))
		return
	}
	if err != nil {
		writeStatus(w, apierrors.NewBadRequest("the patch does not apply: "+err.Error()))
		return
	}
	var before, after map[string]any
	_ = json.Unmarshal(orig, &before)
	if err := json.Unmarshal(out, &after); err != nil {
		writeStatus(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	if n, _, _ := unstructured.NestedString(after, "metadata", "name"); n != name || after["apiVersion"] != res.apiVersion || after["kind"] != res.kind {
		writeStatus(w, apierrors.NewBadRequest("the patch changes the object's name, apiVersion or kind"))
		return
	}
	// Status is the status subresource's: a patch of the object keeps it.
	if st, ok := before["status"]; ok {
		after["status"] = st
	} else {
		delete(after, "status")
	}
	if !reflect.DeepEqual(before["spec"], after["spec"]) {
		g, _, _ := unstructured.NestedFieldNoCopy(before, "metadata", "generation")
		n, _ := g.(float64) // as encoding/json decodes numbers
		_ = unstructured.SetNestedField(after, int64(n)+1, "metadata", "generation")
	}
	if err := s.store(res, name, after); err != nil {
		writeStatus(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, s.objs[res.name+"/"+name])
}

func unsupportedMediaType(contentType string) *apierrors.StatusError {
	return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: http.StatusUnsupportedMediaType,
		Reason: metav1.StatusReasonUnsupportedMediaType, Message: "the body of the request was in an unknown format: " + contentType}}
}

func writeStatus(w http.ResponseWriter, e *apierrors.StatusError) {
	st := e.ErrStatus
	st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	b, _ := json.Marshal(st)
	writeJSON(w, int(st.Code), b)
}

func writeJSON(w http.ResponseWriter, code int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// changes returns the requests other than GET since the last call: what
// the provider changed, in order.
func (s *apiServer) changes() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []request
	for _, r := range s.reqs {
		if r.Method != http.MethodGet {
			out = append(out, r)
		}
	}
	s.reqs = nil
	return out
}

// lines is each request as "METHOD path content-type body".
func lines(rs []request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	return out
}

// get decodes the stored object into into; false if there is none.
func (s *apiServer) get(t *testing.T, res, name string, into any) bool {
	t.Helper()
	s.mu.Lock()
	b, ok := s.objs[res+"/"+name]
	s.mu.Unlock()
	if !ok {
		return false
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatal(err)
	}
	return true
}

func (s *apiServer) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	if !s.get(t, "deployments", name, d) {
		return nil
	}
	return d
}

// updateDeployments lets fn change every Deployment, status included (as
// the Deployment controller does); a changed one gets a new
// resourceVersion.
func (s *apiServer) updateDeployments(t *testing.T, fn func(*appsv1.Deployment)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := resourceOfKind("Deployment")
	var names []string
	for key := range s.objs {
		if n, ok := strings.CutPrefix(key, "deployments/"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		b := s.objs["deployments/"+n]
		d := &appsv1.Deployment{}
		if err := json.Unmarshal(b, d); err != nil {
			t.Error(err)
			return
		}
		fn(d)
		nb, _ := json.Marshal(d)
		if bytes.Equal(nb, b) {
			continue
		}
		m := map[string]any{}
		_ = json.Unmarshal(nb, &m)
		if err := s.store(res, n, m); err != nil {
			t.Error(err)
		}
	}
}
