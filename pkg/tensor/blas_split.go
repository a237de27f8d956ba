//go:build openblas || blis

package tensor

/*
#cgo CFLAGS: -O2
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

// One product on one thread, by the library's file (blas_openblas.go,
// blas_blis.go); tA and tB are 1 for a transposed operand.
void fastgo_lib_sgemm(int tA, int tB, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax(void) { _mm_pause(); }
#else
static inline void cpu_relax(void) {}
#endif

static long long now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

enum { IDLE, POSTED, CLAIMED, DONE };
enum { MAX_HELPERS = 63 };

// A chunk of a split product: rows (or columns) [lo, hi) of C.
typedef struct {
	int tA, tB, m, n, k, lda, ldb, ldc, byRows, lo, hi;
	float alpha, beta;
	const float *a, *b;
	float *c;
} chunk;

static void run_chunk(const chunk *j) {
	int w = j->hi - j->lo;
	if (j->byRows) { // rows of C are rows of op(A)
		fastgo_lib_sgemm(j->tA, j->tB, w, j->n, j->k, j->alpha, j->a + (j->tA ? j->lo : (long)j->lo * j->lda),
			j->lda, j->b, j->ldb, j->beta, j->c + (long)j->lo * j->ldc, j->ldc);
	} else { // columns of C are columns of op(B)
		fastgo_lib_sgemm(j->tA, j->tB, j->m, w, j->k, j->alpha, j->a, j->lda,
			j->b + (j->tB ? (long)j->lo * j->ldb : j->lo), j->ldb, j->beta, j->c + j->lo, j->ldc);
	}
}

typedef struct {
	_Alignas(64) atomic_int state;
	atomic_int sleeping;
	chunk job;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} helper;

static helper helpers[MAX_HELPERS];
static int nhelpers;
static long long spin_ns;
static pthread_mutex_t owner = PTHREAD_MUTEX_INITIALIZER;

static void *helper_main(void *arg) {
	helper *h = arg;
	for (;;) {
		long long t0 = now_ns();
		for (int i = 0; atomic_load(&h->state) != POSTED; i++) {
			if ((i & 63) == 63) sched_yield(); else cpu_relax();
			if ((i & 255) == 255 && now_ns() - t0 > spin_ns) {
				pthread_mutex_lock(&h->mu);
				atomic_store(&h->sleeping, 1);
				while (atomic_load(&h->state) != POSTED)
					pthread_cond_wait(&h->cv, &h->mu);
				atomic_store(&h->sleeping, 0);
				pthread_mutex_unlock(&h->mu);
			}
		}
		int posted = POSTED;
		if (atomic_compare_exchange_strong(&h->state, &posted, CLAIMED)) {
			run_chunk(&h->job);
			atomic_store(&h->state, DONE);
		}
	}
	return 0;
}

// fastgo_sgemm_block computes rows (byRows) or columns [lo, hi) of C on
// the calling thread.
static void fastgo_sgemm_block(int tA, int tB, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc,
		int byRows, int lo, int hi) {
	chunk j = {tA, tB, m, n, k, lda, ldb, ldc, byRows, lo, hi, alpha, beta, a, b, c};
	run_chunk(&j);
}

// fastgo_start_helpers starts n helper threads that spin for spin
// nanoseconds after each chunk before they sleep.
static void fastgo_start_helpers(int n, long long spin) {
	spin_ns = spin;
	for (int i = 0; i < n && i < MAX_HELPERS; i++) {
		helper *h = &helpers[i];
		pthread_mutex_init(&h->mu, 0);
		pthread_cond_init(&h->cv, 0);
		pthread_t t;
		if (pthread_create(&t, 0, helper_main, h) != 0)
			break;
		pthread_detach(t);
		nhelpers++;
	}
}

// post gives job to helper h and wakes it if it sleeps.
static void post(helper *h, const chunk *job) {
	h->job = *job;
	atomic_store(&h->state, POSTED);
	if (atomic_load(&h->sleeping)) {
		pthread_mutex_lock(&h->mu);
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
	}
}

// collect returns once h's job is done: computed by the caller if h has
// not started it, so that a helper that sleeps or is descheduled delays
// nothing beyond the one-thread time.
static void collect(helper *h) {
	int posted = POSTED;
	if (atomic_compare_exchange_strong(&h->state, &posted, CLAIMED)) {
		run_chunk(&h->job);
	} else {
		for (int s = 0; atomic_load(&h->state) != DONE; s++) {
			if (s < 4096) cpu_relax(); else sched_yield();
		}
	}
	atomic_store(&h->state, IDLE);
}

// fastgo_sgemm_split computes C in parts chunks of chunk rows (byRows) or
// columns: the caller's thread computes the first, a helper each other one
// (or the caller, see collect). Returns 0 (nothing computed) when another
// product holds the helpers.
static int fastgo_sgemm_split(int tA, int tB, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc,
		int parts, int chunkSize, int byRows) {
	if (parts - 1 > nhelpers || pthread_mutex_trylock(&owner) != 0)
		return 0;
	int side = byRows ? m : n;
	chunk base = {tA, tB, m, n, k, lda, ldb, ldc, byRows, 0, 0, alpha, beta, a, b, c};
	for (int i = 1; i < parts; i++) {
		chunk job = base;
		job.lo = i * chunkSize;
		job.hi = (i + 1) * chunkSize < side ? (i + 1) * chunkSize : side;
		post(&helpers[i - 1], &job);
	}
	base.hi = chunkSize;
	run_chunk(&base);
	for (int i = 1; i < parts; i++)
		collect(&helpers[i - 1]);
	pthread_mutex_unlock(&owner);
	return 1;
}

// fastgo_sgemm_pair computes two independent products, x on the calling
// thread and y on a helper (or the caller, see collect); each is one whole
// one-thread call. Returns 0 (nothing computed) when another product holds
// the helpers.
static int fastgo_sgemm_pair(chunk x, chunk y) {
	if (nhelpers < 1 || pthread_mutex_trylock(&owner) != 0)
		return 0;
	post(&helpers[0], &y);
	run_chunk(&x);
	collect(&helpers[0]);
	pthread_mutex_unlock(&owner);
	return 1;
}
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"

	"gonum.org/v1/gonum/blas"
)

// The threads that compute the blocks of a split product (blas_cgo.go
// decides which products are split and into how many blocks). They are C
// threads, not goroutines, for two measured reasons (this 2-core Zen 5
// machine, 784-1000-10 batch 512, interleaved runs):
//
//   - A goroutine per block waits for Go's scheduler to wake a thread on
//     the idle core, and while both goroutines are in cgo the scheduler
//     hands a P to a third, spinning thread: one split 512×1000×784
//     product took 3.5 ms at the median (p90 5 ms) against 2.3 ms for
//     OpenBLAS's own two threads; on these helpers 2.4-2.7 ms (p90 2.6-2.9).
//     The epoch's products alone ("limit"): 0.60-0.73 s against 0.99-1.22 s.
//   - Goroutines that spin for the next block hold a P and slowed the rest
//     of the step (training epoch 0.86-1.05 s against 0.69-0.80 s).
//
// A helper spins for spinWaitNs after each block (yielding the CPU every
// 64 rounds), so the next product of a training step finds it awake, then
// sleeps on a condition variable. No helper waits for another: a block its
// helper has not started when the caller has finished its own is computed
// by the caller. That is what keeps a busy machine from turning the split
// into a wait (OpenBLAS's own threads, which meet at barriers, took the
// epoch from 0.66 s to 2.1-2.2 s with another process spinning on one core;
// these helpers 1.12-1.18 s, goroutines 1.30-1.36 s). Training epochs,
// 4 interleaved runs on a noisy host: 0.74-1.24 s (median 0.84) against
// 1.06-1.48 s (1.23) with goroutines; spinning 2 ms or 5 ms instead of
// 0.5 ms gave medians of 0.86 and 0.87 s with more CPU time.
// The blocks are the same one-thread calls over the same k whoever runs
// them, so results stay bit-identical to the goroutine split's.
const spinWaitNs = 500_000

// startHelpers starts the helper threads, one per core beside the
// caller's, on the first product that needs them.
var startHelpers = sync.OnceFunc(func() { C.fastgo_start_helpers(C.int(runtime.NumCPU()-1), spinWaitNs) })

// splitSgemm computes C as parts blocks of chunk rows (byRows) or columns,
// the first on the calling thread and the others on the helpers. It
// returns false, having computed nothing, when another product holds the
// helpers or there are fewer helpers than blocks; the caller then splits
// over goroutines (sgemmBlock). The slices are checked by checkGemm.
func splitSgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, parts, chunk int, byRows bool) bool {
	startHelpers()
	return C.fastgo_sgemm_split(cTrans(tA), cTrans(tB), C.int(m), C.int(n), C.int(k), C.float(alpha),
		cFloats(a), C.int(lda), cFloats(b), C.int(ldb), C.float(beta), cFloats(c), C.int(ldc),
		C.int(parts), C.int(chunk), cBool(byRows)) != 0
}

// pairSgemm computes the independent products x and y at once, x on the
// calling thread and y on a helper, and reports whether it did; it does
// not when one thread is set (SetBLASThreads), when either product is
// large enough to be split itself, or when another product holds the
// helpers. The slices are checked by checkGemm.
func pairSgemm(x, y *gemm) bool {
	if blasMaxThreads.Load() < 2 || gemmThreads(x.m, x.n, x.k) > 1 || gemmThreads(y.m, y.n, y.k) > 1 {
		return false
	}
	startHelpers()
	return C.fastgo_sgemm_pair(cChunk(x), cChunk(y)) != 0
}

// cChunk is the whole product g as one chunk.
func cChunk(g *gemm) C.chunk {
	return C.chunk{tA: cTrans(g.tA), tB: cTrans(g.tB), m: C.int(g.m), n: C.int(g.n), k: C.int(g.k),
		lda: C.int(g.lda), ldb: C.int(g.ldb), ldc: C.int(g.ldc), byRows: 1, lo: 0, hi: C.int(g.m),
		alpha: C.float(g.alpha), beta: C.float(g.beta), a: cFloats(g.a), b: cFloats(g.b), c: cFloats(g.c)}
}

// sgemmBlock computes rows (byRows) or columns [lo, hi) of C with one
// one-thread library call; the whole product is rows [0, m).
func sgemmBlock(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, byRows bool, lo, hi int) {
	C.fastgo_sgemm_block(cTrans(tA), cTrans(tB), C.int(m), C.int(n), C.int(k), C.float(alpha),
		cFloats(a), C.int(lda), cFloats(b), C.int(ldb), C.float(beta), cFloats(c), C.int(ldc),
		cBool(byRows), C.int(lo), C.int(hi))
}

func cFloats(s []float32) *C.float { return (*C.float)(unsafe.Pointer(unsafe.SliceData(s))) }

func cTrans(t blas.Transpose) C.int { return cBool(t == blas.Trans) } // checkGemm made ConjTrans Trans

func cBool(v bool) C.int {
	if v {
		return 1
	}
	return 0
}
