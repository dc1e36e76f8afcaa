package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path"
	"time"

	"github.com/virtual-kubelet/virtual-kubelet/node"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
)

type kubeletConfig struct {
	node     string
	listen   string // host:port of the kubelet API
	tlsCert  string // serving certificate, trusted by the API server (--kubelet-certificate-authority)
	tlsKey   string
	clientCA string // CA of the client certificates it accepts (the API server's --kubelet-client-certificate)
	workers  int
}

// runKubelet is the kubelet: virtual-kubelet's pod controller syncs the pods bound to the node
// with the provider and writes their status; its node controller registers the node, renews its
// lease and posts its status; its kubelet API serves container logs. It returns when ctx ends or a
// controller fails.
func runKubelet(ctx context.Context, client kubernetes.Interface, p *provider, cfg kubeletConfig) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	_, port, err := net.SplitHostPort(cfg.listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", cfg.listen, err)
	}
	var kubeletPort int32
	if _, err := fmt.Sscan(port, &kubeletPort); err != nil {
		return fmt.Errorf("--listen %q: the port must be a number", cfg.listen)
	}

	podInformers := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", cfg.node).String()
		}))
	pods := podInformers.Core().V1().Pods()
	// The pod controller takes secret, config map and service informers for its own resolver of
	// environment variables. That is off (SkipDownwardAPIResolution: env.go does it, as the
	// kubelet does), so this factory is never started: the node needs no right to list every
	// secret of the cluster, which the Node authorizer would refuse.
	envResolverInformers := informers.NewSharedInformerFactory(client, 0)

	events := record.NewBroadcaster()
	events.StartRecordingToSink(&corev1client.EventSinkImpl{Interface: client.CoreV1().Events(corev1.NamespaceAll)})
	defer events.Shutdown()

	pc, err := node.NewPodController(node.PodControllerConfig{
		PodClient:                 client.CoreV1(),
		PodInformer:               pods,
		EventRecorder:             events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: path.Join(cfg.node, "pod-controller"), Host: cfg.node}),
		Provider:                  p,
		SecretInformer:            envResolverInformers.Core().V1().Secrets(),
		ConfigMapInformer:         envResolverInformers.Core().V1().ConfigMaps(),
		ServiceInformer:           envResolverInformers.Core().V1().Services(),
		SkipDownwardAPIResolution: true,
	})
	if err != nil {
		return fmt.Errorf("creating the pod controller: %w", err)
	}
	nodes := client.CoreV1().Nodes()
	nc, err := node.NewNodeController(node.NaiveNodeProvider{}, nodeObject(cfg.node, kubeletPort), nodes,
		node.WithNodeEnableLeaseV1(client.CoordinationV1().Leases(corev1.NamespaceNodeLease), node.DefaultLeaseDuration),
		// A node deleted from the API is registered again, as the kubelet does, at the next
		// status update (every minute).
		node.WithNodeStatusUpdateErrorHandler(func(ctx context.Context, err error) error {
			if !apierrors.IsNotFound(err) {
				return err
			}
			klog.InfoS("the node was deleted from the API; registering it again", "node", cfg.node)
			_, err = nodes.Create(ctx, nodeObject(cfg.node, kubeletPort), metav1.CreateOptions{})
			return err
		}))
	if err != nil {
		return fmt.Errorf("creating the node controller: %w", err)
	}

	stopAPI, err := serveKubeletAPI(client, p, cfg, func(context.Context) ([]*corev1.Pod, error) {
		return pods.Lister().List(labels.Everything())
	})
	if err != nil {
		return err
	}
	defer stopAPI()

	podInformers.Start(ctx.Done())
	go func() { _ = pc.Run(ctx, cfg.workers) }()
	select {
	case <-pc.Ready():
	case <-pc.Done():
		return fmt.Errorf("pod controller: %w", pc.Err())
	case <-ctx.Done():
		return nil
	}
	// The pod controller has deleted the pods the provider restored but the API no longer has:
	// from here on the provider's workers may start processes.
	go p.Run(ctx, cfg.workers)

	// Register the node only now, so that nothing is scheduled to it before its pods are synced.
	go func() { _ = nc.Run(ctx) }()
	select {
	case <-nc.Ready():
	case <-nc.Done():
		return fmt.Errorf("node controller: %w", nc.Err())
	case <-ctx.Done():
		return nil
	}
	klog.InfoS("podrunner ready", "node", cfg.node, "kubeletAPI", cfg.listen, "binary", p.binary, "image", p.image)

	select {
	case <-ctx.Done():
		return nil
	case <-pc.Done():
		return fmt.Errorf("pod controller: %w", pc.Err())
	case <-nc.Done():
		return fmt.Errorf("node controller: %w", nc.Err())
	}
}

// serveKubeletAPI serves virtual-kubelet's kubelet API over TLS and returns what stops it. Like the
// kubelet's (--authentication-token-webhook, --authorization-mode=Webhook), a client is
// authenticated by its certificate, signed by the client CA, or a bearer token (TokenReview), and
// authorized by the API server (SubjectAccessReview, see nodeAttributes).
func serveKubeletAPI(client kubernetes.Interface, p *provider, cfg kubeletConfig, podsFromAPI api.PodListerFunc) (func(), error) {
	cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
	if err != nil {
		return nil, fmt.Errorf("kubelet serving certificate: %w", err)
	}
	caPEM, err := os.ReadFile(cfg.clientCA)
	if err != nil {
		return nil, fmt.Errorf("kubelet client CA: %w", err)
	}
	ca, err := dynamiccertificates.NewStaticCAContent("client-ca", caPEM)
	if err != nil {
		return nil, fmt.Errorf("kubelet client CA %s: %w", cfg.clientCA, err)
	}
	// The kubelet's defaults for its webhooks.
	backoff := wait.Backoff{Duration: 500 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 5}
	authn, _, err := authenticatorfactory.DelegatingAuthenticatorConfig{
		ClientCertificateCAContentProvider: ca,
		TokenAccessReviewClient:            client.AuthenticationV1(),
		CacheTTL:                           2 * time.Minute,
		WebhookRetryBackoff:                &backoff,
	}.New()
	if err != nil {
		return nil, fmt.Errorf("kubelet API authentication: %w", err)
	}
	authz, err := authorizerfactory.DelegatingAuthorizerConfig{
		SubjectAccessReviewClient: client.AuthorizationV1(),
		AllowCacheTTL:             5 * time.Minute,
		DenyCacheTTL:              30 * time.Second,
		WebhookRetryBackoff:       &backoff,
	}.New()
	if err != nil {
		return nil, fmt.Errorf("kubelet API authorization: %w", err)
	}

	mux := http.NewServeMux()
	api.AttachPodRoutes(api.PodHandlerConfig{
		GetContainerLogs:      p.GetContainerLogs,
		GetPodsFromKubernetes: podsFromAPI,
	}, mux, false)

	l, err := tls.Listen("tcp", cfg.listen, &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequestClientCert, // verified by the authenticator, which also takes tokens
	})
	if err != nil {
		return nil, fmt.Errorf("kubelet API on %s: %w", cfg.listen, err)
	}
	srv := &http.Server{Handler: withAuth(authn, authz, cfg.node, mux), ReadHeaderTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			klog.ErrorS(err, "kubelet API stopped")
		}
	}()
	return func() { _ = srv.Close() }, nil
}

// withAuth lets a request through to next once it is authenticated and authorized.
func withAuth(authn authenticator.Request, authz authorizer.Authorizer, nodeName string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, ok, err := authn.AuthenticateRequest(r)
		if err != nil || !ok {
			klog.V(2).InfoS("kubelet API: unauthenticated request", "path", r.URL.Path, "err", err)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		attrs := nodeAttributes(info, nodeName, r)
		decision, reason, err := authz.Authorize(r.Context(), attrs)
		if err != nil {
			klog.ErrorS(err, "kubelet API: authorizing", "user", info.User.GetName(), "path", r.URL.Path)
			http.Error(w, "cannot authorize the request: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if decision != authorizer.DecisionAllow {
			msg := fmt.Sprintf("Forbidden (user=%s, verb=%s, resource=nodes, subresource=%s)",
				info.User.GetName(), attrs.GetVerb(), attrs.GetSubresource())
			if reason != "" {
				msg += ": " + reason
			}
			http.Error(w, msg, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// nodeAttributes is what a request to the kubelet API is authorized as, as the kubelet maps it: a
// verb from the method, on nodes/proxy of this node (the kubelet's subresource for /containerLogs,
// /exec, /attach and /portForward; for /pods a 1.34 kubelet tries nodes/pods first, then this).
func nodeAttributes(info *authenticator.Response, nodeName string, r *http.Request) authorizer.AttributesRecord {
	verb := map[string]string{http.MethodGet: "get", http.MethodHead: "get", http.MethodPost: "create",
		http.MethodPut: "update", http.MethodPatch: "patch", http.MethodDelete: "delete"}[r.Method]
	return authorizer.AttributesRecord{
		User: info.User, Verb: verb, APIVersion: "v1", Resource: "nodes", Name: nodeName,
		Subresource: "proxy", ResourceRequest: true, Path: r.URL.Path,
	}
}
