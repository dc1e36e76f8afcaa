// argocd-health runs a health check written for Argo CD (a Lua script, as in argocd-cm's
// resource.customizations.health.<group>_<kind>) on the object that `kubectl get -o json`
// prints on standard input, as Argo CD's controller runs it: gopher-lua with only the package,
// base and table libraries open, the object as the global `obj`, the returned table's status
// and message. It prints "STATUS: MESSAGE" (Healthy, Progressing, Degraded, Suspended, Missing,
// or Unknown when the script returns another status).
//
//	kubectl get tm alphapulse -o json | argocd-health charts/tenantshift/argocd-health.lua
//	Healthy: every phase is done; the policies are strict
//
// Exit status 0 when the script ran, 2 when it or the input could not be read or it failed.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	lua "github.com/yuin/gopher-lua"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kubectl get KIND NAME -o json | argocd-health SCRIPT.lua")
		os.Exit(2)
	}
	status, message, err := run(os.Args[1], os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "argocd-health:", err)
		os.Exit(2)
	}
	fmt.Printf("%s: %s\n", status, message)
}

func run(scriptFile string, in io.Reader) (string, string, error) {
	script, err := os.ReadFile(scriptFile)
	if err != nil {
		return "", "", err
	}
	var object map[string]any
	if err := json.NewDecoder(in).Decode(&object); err != nil {
		return "", "", fmt.Errorf("standard input is not a JSON object (kubectl get -o json): %w", err)
	}
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for name, open := range map[string]lua.LGFunction{
		lua.LoadLibName: lua.OpenPackage, lua.BaseLibName: lua.OpenBase, lua.TabLibName: lua.OpenTable,
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(open), Protect: true}, lua.LString(name)); err != nil {
			return "", "", err
		}
	}
	l.SetGlobal("obj", toLua(l, object))
	if err := l.DoString(string(script)); err != nil {
		return "", "", fmt.Errorf("%s: %w", scriptFile, err)
	}
	result, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("%s returned a %s, not a table", scriptFile, l.Get(-1).Type())
	}
	status := lua.LVAsString(result.RawGetString("status"))
	switch status {
	case "Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown":
	default:
		return "Unknown", "Lua returned an invalid health status", nil
	}
	return status, lua.LVAsString(result.RawGetString("message")), nil
}

// toLua converts JSON as Argo CD does: objects and arrays to tables (arrays from index 1),
// numbers, strings and booleans to theirs, null to nil.
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		array := l.CreateTable(len(v), 0)
		for _, item := range v {
			array.Append(toLua(l, item))
		}
		return array
	case map[string]any:
		table := l.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetH(lua.LString(key), toLua(l, item))
		}
		return table
	}
	return lua.LNil
}
