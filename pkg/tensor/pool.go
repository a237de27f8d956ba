package tensor

// Average pooling over the two spatial dimensions of an NCHW batch. Both
// forms average x over one rectangle of the input per output cell; they
// differ only in where the rectangles lie.

// AvgPool2d averages x [N C H W] over kernel×kernel windows moved by
// stride (PyTorch's F.avg_pool2d(x, kernel, stride), no padding), giving
// [N C OH OW] with OH = (H − kernel)/stride + 1.
//
//	out[n,c,y,x] = mean of x[n, c, y·s : y·s+k, x·s : x·s+k];  ∂x[window] += g/k²
func AvgPool2d(x *Tensor, kernel, stride int) *Tensor {
	checkPoolInput("avg_pool2d", x)
	h, w := x.shape[2], x.shape[3]
	if kernel < 1 || stride < 1 || kernel > h || kernel > w {
		panic(shapeErr("avg_pool2d", "", "kernel %d, stride %d do not fit input %v", kernel, stride, x.shape).with(x.shape))
	}
	fixed := func(outSize int) (lo, hi []int) {
		lo, hi = make([]int, outSize), make([]int, outSize)
		for i := range lo {
			lo[i], hi[i] = i*stride, i*stride+kernel
		}
		return lo, hi
	}
	rlo, rhi := fixed((h-kernel)/stride + 1)
	clo, chi := fixed((w-kernel)/stride + 1)
	return avgPool(x, "AvgPool2DBackward0", rlo, rhi, clo, chi)
}

// AdaptiveAvgPool2d averages x [N C H W] down to [N C oh ow] whatever H and
// W are (PyTorch's F.adaptive_avg_pool2d): output row i averages input rows
// ⌊i·H/oh⌋ to ⌈(i+1)·H/oh⌉ − 1, columns likewise. With oh = ow = 1 it is
// the mean over each channel, the pooling of lesson 9's CNN before its
// linear head.
//
//	out[n,c,i,j] = mean of x[n, c, rows(i), cols(j)];  ∂x[rows(i), cols(j)] += g/area
func AdaptiveAvgPool2d(x *Tensor, oh, ow int) *Tensor {
	checkPoolInput("adaptive_avg_pool2d", x)
	if oh < 1 || ow < 1 {
		panic(shapeErr("adaptive_avg_pool2d", "", "output size %dx%d must be positive", oh, ow).with(x.shape))
	}
	adaptive := func(size, outSize int) (lo, hi []int) {
		lo, hi = make([]int, outSize), make([]int, outSize)
		for i := range lo {
			lo[i], hi[i] = i*size/outSize, ((i+1)*size+outSize-1)/outSize
		}
		return lo, hi
	}
	rlo, rhi := adaptive(x.shape[2], oh)
	clo, chi := adaptive(x.shape[3], ow)
	op := "AdaptiveAvgPool2DBackward0"
	if oh == 1 && ow == 1 {
		op = "MeanBackward1" // PyTorch computes the 1×1 case as x.mean((-2, -1), keepdim=True)
	}
	return avgPool(x, op, rlo, rhi, clo, chi)
}

func checkPoolInput(op string, x *Tensor) {
	if len(x.shape) != 4 || x.shape[2] == 0 || x.shape[3] == 0 {
		panic(shapeErr(op, "", "input %v is not a 4-D batch [N C H W] with nonempty images", x.shape).with(x.shape))
	}
}

// avgPool averages every image plane of x over the rectangles rows
// [rlo[i], rhi[i]) × columns [clo[j], chi[j]).
func avgPool(x *Tensor, op string, rlo, rhi, clo, chi []int) *Tensor {
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	oh, ow := len(rlo), len(clo)
	out := newTensor(make([]float32, n*c*oh*ow), []int{n, c, oh, ow}, Float32)
	for p := 0; p < n*c; p++ {
		img, dst := x.data[p*h*w:][:h*w], out.data[p*oh*ow:][:oh*ow]
		for i := range oh {
			for j := range ow {
				var s float32
				for r := rlo[i]; r < rhi[i]; r++ {
					s += sum(img[r*w+clo[j] : r*w+chi[j]])
				}
				dst[i*ow+j] = s / float32((rhi[i]-rlo[i])*(chi[j]-clo[j]))
			}
		}
	}
	if !needsGrad(x) {
		return out
	}
	return record(out, op, func(g []float32) {
		dx := x.gradAcc()
		for p := 0; p < n*c; p++ {
			img, gp := dx[p*h*w:][:h*w], g[p*oh*ow:][:oh*ow]
			for i := range oh {
				for j := range ow {
					v := gp[i*ow+j] / float32((rhi[i]-rlo[i])*(chi[j]-clo[j]))
					for r := rlo[i]; r < rhi[i]; r++ {
						row := img[r*w+clo[j] : r*w+chi[j]]
						for k := range row {
							row[k] += v
						}
					}
				}
			}
		}
	}, x)
}
