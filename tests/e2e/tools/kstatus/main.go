// kstatus prints the health that Argo CD and Flux derive from an object's status: the status
// that sigs.k8s.io/cli-utils' kstatus computes (Current, InProgress, Failed, Terminating, ...)
// and its message, for the object that `kubectl get -o json` prints on standard input.
//
//	kubectl get tm alphapulse -o json | kstatus
//	Current: Resource is Ready
//
// A List (`kubectl get tm -o json`) prints one line per item, each led by its namespace/name.
// Exit status 0 when every status was computed, 2 when the input is not a Kubernetes object.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "usage: kubectl get KIND NAME -o json | kstatus")
		os.Exit(2)
	}
	lines, err := computeAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kstatus:", err)
		os.Exit(2)
	}
	fmt.Print(strings.Join(lines, ""))
}

// computeAll reads one object or a List and returns a line per object.
func computeAll(in io.Reader) ([]string, error) {
	raw, err := io.ReadAll(in)
	if err != nil {
		return nil, fmt.Errorf("reading standard input: %w", err)
	}
	// The JSON scheme keeps integers as int64, as kstatus' field accessors expect.
	decoded, err := runtime.Decode(unstructured.UnstructuredJSONScheme, raw)
	if err != nil {
		return nil, fmt.Errorf("standard input is not a Kubernetes object as JSON "+
			"(kubectl get -o json): %w", err)
	}
	switch object := decoded.(type) {
	case *unstructured.Unstructured:
		line, err := compute(object)
		if err != nil {
			return nil, err
		}
		return []string{line}, nil
	case *unstructured.UnstructuredList:
		lines := make([]string, 0, len(object.Items))
		for i := range object.Items {
			item := &object.Items[i]
			line, err := compute(item)
			if err != nil {
				return nil, err
			}
			lines = append(lines, item.GetNamespace()+"/"+item.GetName()+" "+line)
		}
		return lines, nil
	default:
		return nil, fmt.Errorf("standard input is a %T, not an object or a List", decoded)
	}
}

// compute returns "STATUS: MESSAGE\n" for one object.
func compute(object *unstructured.Unstructured) (string, error) {
	result, err := status.Compute(object)
	if err != nil {
		return "", fmt.Errorf("%s %s/%s: %w", object.GetKind(), object.GetNamespace(),
			object.GetName(), err)
	}
	return fmt.Sprintf("%s: %s\n", result.Status, result.Message), nil
}
