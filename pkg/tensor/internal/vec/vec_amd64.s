//go:build !purego

#include "textflag.h"

// func clampMinAVX2(y, x []float32, v float32)
// y[i] = max(x[i], v) for len(x) a multiple of 32, NaN kept as by Go's max.
TEXT ·clampMinAVX2(SB), NOSPLIT, $0-52
	MOVQ         y_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS v+48(FP), Y0
	SHRQ         $5, CX
	JZ           done

loop:
	VMOVUPS   (SI), Y1
	VMOVUPS   32(SI), Y4
	VMOVUPS   64(SI), Y7
	VMOVUPS   96(SI), Y10
	VMAXPS    Y0, Y1, Y2            // x > v ? x : v
	VMAXPS    Y0, Y4, Y5
	VMAXPS    Y0, Y7, Y8
	VMAXPS    Y0, Y10, Y11
	VCMPPS    $3, Y1, Y1, Y3        // x is NaN
	VCMPPS    $3, Y4, Y4, Y6
	VCMPPS    $3, Y7, Y7, Y9
	VCMPPS    $3, Y10, Y10, Y12
	VBLENDVPS Y3, Y1, Y2, Y2        // NaN ? x : max
	VBLENDVPS Y6, Y4, Y5, Y5
	VBLENDVPS Y9, Y7, Y8, Y8
	VBLENDVPS Y12, Y10, Y11, Y11
	VMOVUPS   Y2, (DI)
	VMOVUPS   Y5, 32(DI)
	VMOVUPS   Y8, 64(DI)
	VMOVUPS   Y11, 96(DI)
	ADDQ      $128, SI
	ADDQ      $128, DI
	DECQ      CX
	JNZ       loop

done:
	VZEROUPPER
	RET

// func addWhereGreaterAVX2(da, x, g []float32, v float32)
// da[i] += g[i] where x[i] > v (false for NaN), for len(da) a multiple of 32.
TEXT ·addWhereGreaterAVX2(SB), NOSPLIT, $0-76
	MOVQ         da_base+0(FP), DI
	MOVQ         da_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	MOVQ         g_base+48(FP), DX
	VBROADCASTSS v+72(FP), Y0
	SHRQ         $5, CX
	JZ           bdone

bloop:
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VMOVUPS 64(SI), Y3
	VMOVUPS 96(SI), Y4
	VCMPPS  $0x1e, Y0, Y1, Y1       // x > v (ordered)
	VCMPPS  $0x1e, Y0, Y2, Y2
	VCMPPS  $0x1e, Y0, Y3, Y3
	VCMPPS  $0x1e, Y0, Y4, Y4
	VANDPS  (DX), Y1, Y1            // g where x > v, else +0
	VANDPS  32(DX), Y2, Y2
	VANDPS  64(DX), Y3, Y3
	VANDPS  96(DX), Y4, Y4
	VADDPS  (DI), Y1, Y1
	VADDPS  32(DI), Y2, Y2
	VADDPS  64(DI), Y3, Y3
	VADDPS  96(DI), Y4, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DX
	ADDQ    $128, DI
	DECQ    CX
	JNZ     bloop

bdone:
	VZEROUPPER
	RET
