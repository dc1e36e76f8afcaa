package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// fieldValue resolves a downward API field path.
func fieldValue(pod *corev1.Pod, path string) (string, error) {
	sub := func(prefix string, m map[string]string) (string, bool) {
		if strings.HasPrefix(path, prefix+"['") && strings.HasSuffix(path, "']") {
			return m[path[len(prefix)+2:len(path)-2]], true
		}
		return "", false
	}
	if v, ok := sub("metadata.labels", pod.Labels); ok {
		return v, nil
	}
	if v, ok := sub("metadata.annotations", pod.Annotations); ok {
		return v, nil
	}
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels", "metadata.annotations":
		m := pod.Labels
		if path == "metadata.annotations" {
			m = pod.Annotations
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%s\n", k, strconv.Quote(m[k]))
		}
		return b.String(), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.podIP", "status.hostIPs", "status.podIPs":
		return "127.0.0.1", nil
	}
	return "", fmt.Errorf("field path %q not supported by podrunner", path)
}

// resourceValue resolves a resourceFieldRef; an unset limit is the node's allocatable amount.
func resourceValue(pod *corev1.Pod, ref *corev1.ResourceFieldSelector) string {
	kind, res, _ := strings.Cut(ref.Resource, ".")
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		if ref.ContainerName != "" && c.Name != ref.ContainerName {
			continue
		}
		list := c.Resources.Limits
		if kind == "requests" {
			list = c.Resources.Requests
		}
		q, ok := list[corev1.ResourceName(res)]
		if !ok {
			q = nodeResources()[corev1.ResourceName(res)]
		}
		div := ref.Divisor
		if div.IsZero() {
			div = resource.MustParse("1")
		}
		v := (q.MilliValue() + div.MilliValue() - 1) / div.MilliValue()
		return strconv.FormatInt(v, 10)
	}
	return "0"
}

// containerEnv is the container's environment as the kubelet would give it: service variables
// for the API server, then envFrom, then env, with $(VAR) references expanded.
func (p *provider) containerEnv(ctx context.Context, pod *corev1.Pod, c corev1.Container) ([]string, error) {
	var order []string
	vals := map[string]string{}
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	set("HOME", "/root")
	set("HOSTNAME", pod.Name)
	set("KUBERNETES_SERVICE_HOST", p.apiHost)
	set("KUBERNETES_SERVICE_PORT", p.apiPort)
	set("KUBERNETES_SERVICE_PORT_HTTPS", p.apiPort)
	set("KUBERNETES_PORT", "tcp://"+p.apiHost+":"+p.apiPort)

	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm, err := p.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ef.ConfigMapRef.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) && ptr.Deref(ef.ConfigMapRef.Optional, false) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("envFrom configmap %q: %w", ef.ConfigMapRef.Name, err)
			}
			for k, v := range cm.Data {
				set(ef.Prefix+k, v)
			}
		case ef.SecretRef != nil:
			s, err := p.client.CoreV1().Secrets(pod.Namespace).Get(ctx, ef.SecretRef.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) && ptr.Deref(ef.SecretRef.Optional, false) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("envFrom secret %q: %w", ef.SecretRef.Name, err)
			}
			for k, v := range s.Data {
				set(ef.Prefix+k, string(v))
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expand(e.Value, vals))
			continue
		}
		vf := e.ValueFrom
		switch {
		case vf.FieldRef != nil:
			v, err := fieldValue(pod, vf.FieldRef.FieldPath)
			if err != nil {
				return nil, err
			}
			set(e.Name, v)
		case vf.ResourceFieldRef != nil:
			ref := *vf.ResourceFieldRef
			if ref.ContainerName == "" {
				ref.ContainerName = c.Name
			}
			set(e.Name, resourceValue(pod, &ref))
		case vf.ConfigMapKeyRef != nil:
			ref := vf.ConfigMapKeyRef
			cm, err := p.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err == nil {
				if v, ok := cm.Data[ref.Key]; ok {
					set(e.Name, v)
					continue
				}
				err = fmt.Errorf("key %q not found", ref.Key)
			}
			if !ptr.Deref(ref.Optional, false) {
				return nil, fmt.Errorf("env %s: configmap %q: %w", e.Name, ref.Name, err)
			}
		case vf.SecretKeyRef != nil:
			ref := vf.SecretKeyRef
			s, err := p.client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err == nil {
				if v, ok := s.Data[ref.Key]; ok {
					set(e.Name, string(v))
					continue
				}
				err = fmt.Errorf("key %q not found", ref.Key)
			}
			if !ptr.Deref(ref.Optional, false) {
				return nil, fmt.Errorf("env %s: secret %q: %w", e.Name, ref.Name, err)
			}
		}
	}
	env := make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, k+"="+vals[k])
	}
	return env, nil
}

// expand replaces $(VAR) with the variable's value as the kubelet does; $$(VAR) stays literal.
func expand(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) {
			switch s[i+1] {
			case '$':
				b.WriteByte('$')
				i++
				continue
			case '(':
				if j := strings.IndexByte(s[i+2:], ')'); j >= 0 {
					name := s[i+2 : i+2+j]
					if v, ok := vars[name]; ok {
						b.WriteString(v)
						i += j + 2
						continue
					}
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
