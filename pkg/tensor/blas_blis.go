//go:build blis

package tensor

/*
#cgo LDFLAGS: -lblis
#include <stdint.h>
// From blis.h (Debian's libblis-dev), whose dim_t is 64-bit and arch_t an enum.
int64_t bli_thread_get_num_threads(void);
void bli_thread_set_num_threads(int64_t n);
char* bli_info_get_version_str(void);
int bli_arch_query_id(void);
char* bli_arch_string(int id);
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
)

// libThreads is the CPUs, unless BLIS_NUM_THREADS or OMP_NUM_THREADS says
// otherwise (BLIS itself defaults to one thread).
func libThreads() int {
	if os.Getenv("BLIS_NUM_THREADS") != "" || os.Getenv("OMP_NUM_THREADS") != "" {
		return int(C.bli_thread_get_num_threads())
	}
	return runtime.NumCPU()
}

func libSetThreads(n int) { C.bli_thread_set_num_threads(C.int64_t(n)) }

// libDescribe names BLIS, its version and the kernel family it chose for
// this CPU.
func libDescribe() string {
	return fmt.Sprintf("BLIS %s (kernels %s)", C.GoString(C.bli_info_get_version_str()), C.GoString(C.bli_arch_string(C.bli_arch_query_id())))
}
