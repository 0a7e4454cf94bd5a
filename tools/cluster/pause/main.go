// pause: the pod sandbox process of the local cluster (tools/cluster). It holds the pod's namespaces,
// reaps zombies (it is PID 1 of the pod when the PID namespace is shared) and exits on SIGINT/SIGTERM.
// Built as a static binary and imported into containerd as memray-cli.local/pause, so no registry is
// needed for the sandbox image.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		fmt.Println("memray-cli pause")
		return
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
