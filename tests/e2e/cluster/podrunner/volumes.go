package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// materialiseVolumes writes the pod's ConfigMap, Secret, projected and downward API volumes as
// files under <pod dir>/volumes/<name>, once per pod.
func (p *provider) materialiseVolumes(ctx context.Context, pod *corev1.Pod, dir string) error {
	final := filepath.Join(dir, "volumes")
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	tmp := final + ".tmp"
	_ = os.RemoveAll(tmp)
	for _, v := range pod.Spec.Volumes {
		vd := filepath.Join(tmp, v.Name)
		if err := os.MkdirAll(vd, 0o755); err != nil {
			return err
		}
		var err error
		switch {
		case v.ConfigMap != nil:
			err = p.writeConfigMap(ctx, pod.Namespace, vd, *v.ConfigMap, v.ConfigMap.DefaultMode)
		case v.Secret != nil:
			err = p.writeSecret(ctx, pod.Namespace, vd, v.Secret.SecretName, v.Secret.Items, v.Secret.Optional, v.Secret.DefaultMode)
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				switch {
				case s.ConfigMap != nil:
					err = p.writeConfigMap(ctx, pod.Namespace, vd, corev1.ConfigMapVolumeSource{
						LocalObjectReference: s.ConfigMap.LocalObjectReference, Items: s.ConfigMap.Items,
						Optional: s.ConfigMap.Optional}, v.Projected.DefaultMode)
				case s.Secret != nil:
					err = p.writeSecret(ctx, pod.Namespace, vd, s.Secret.Name, s.Secret.Items, s.Secret.Optional, v.Projected.DefaultMode)
				case s.DownwardAPI != nil:
					err = writeDownward(pod, vd, s.DownwardAPI.Items, v.Projected.DefaultMode)
				case s.ServiceAccountToken != nil:
					err = p.writeToken(ctx, pod, vd, *s.ServiceAccountToken, v.Projected.DefaultMode)
				default:
					err = fmt.Errorf("volume %s: projected source not supported by podrunner", v.Name)
				}
				if err != nil {
					break
				}
			}
		case v.DownwardAPI != nil:
			err = writeDownward(pod, vd, v.DownwardAPI.Items, v.DownwardAPI.DefaultMode)
		case v.EmptyDir != nil, v.HostPath != nil:
		default:
			err = fmt.Errorf("volume %s: only configMap, secret, projected, downwardAPI, emptyDir and hostPath volumes are supported by podrunner", v.Name)
		}
		if err != nil {
			return err
		}
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

func (p *provider) volumeSource(pod *corev1.Pod, dir, name string) (string, error) {
	for _, v := range pod.Spec.Volumes {
		if v.Name == name {
			if v.HostPath != nil {
				return v.HostPath.Path, nil
			}
			return filepath.Join(dir, "volumes", name), nil
		}
	}
	return "", fmt.Errorf("volume mount %q names no volume of the pod", name)
}

func writeFile(dir, rel string, data []byte, mode *int32, defMode *int32) error {
	m := int32(0o644)
	if defMode != nil {
		m = *defMode
	}
	if mode != nil {
		m = *mode
	}
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, data, os.FileMode(m)); err != nil {
		return err
	}
	return os.Chmod(p, os.FileMode(m))
}

func writeItems(dir, kind, name string, data map[string][]byte, items []corev1.KeyToPath, defMode *int32, optional bool) error {
	if len(items) == 0 {
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := writeFile(dir, k, data[k], nil, defMode); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		d, ok := data[it.Key]
		if !ok {
			if optional {
				continue
			}
			return fmt.Errorf("%s %q has no key %q", kind, name, it.Key)
		}
		if err := writeFile(dir, it.Path, d, it.Mode, defMode); err != nil {
			return err
		}
	}
	return nil
}

func (p *provider) writeConfigMap(ctx context.Context, ns, dir string, s corev1.ConfigMapVolumeSource, defMode *int32) error {
	cm, err := p.client.CoreV1().ConfigMaps(ns).Get(ctx, s.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && ptr.Deref(s.Optional, false) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("configmap %q: %w", s.Name, err)
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return writeItems(dir, "configmap", s.Name, data, s.Items, defMode, ptr.Deref(s.Optional, false))
}

func (p *provider) writeSecret(ctx context.Context, ns, dir, name string, items []corev1.KeyToPath, optional *bool, defMode *int32) error {
	sec, err := p.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && ptr.Deref(optional, false) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("secret %q: %w", name, err)
	}
	return writeItems(dir, "secret", name, sec.Data, items, defMode, ptr.Deref(optional, false))
}

func writeDownward(pod *corev1.Pod, dir string, items []corev1.DownwardAPIVolumeFile, defMode *int32) error {
	for _, it := range items {
		var v string
		switch {
		case it.FieldRef != nil:
			var err error
			if v, err = fieldValue(pod, it.FieldRef.FieldPath); err != nil {
				return err
			}
		case it.ResourceFieldRef != nil:
			v = resourceValue(pod, it.ResourceFieldRef)
		}
		if err := writeFile(dir, it.Path, []byte(v), it.Mode, defMode); err != nil {
			return err
		}
	}
	return nil
}

// writeToken asks the TokenRequest API for a token bound to the pod, as the kubelet does for the
// kube-api-access volume (it is not refreshed: tests are shorter than its lifetime).
func (p *provider) writeToken(ctx context.Context, pod *corev1.Pod, dir string, s corev1.ServiceAccountTokenProjection, defMode *int32) error {
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: s.ExpirationSeconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	if s.Audience != "" {
		tr.Spec.Audiences = []string{s.Audience}
	}
	got, err := p.client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, tr, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("token for service account %q: %w", sa, err)
	}
	return writeFile(dir, s.Path, []byte(got.Status.Token), nil, defMode)
}
