package nn

import "github.com/fastgo/fastgo/pkg/tensor"

// Accuracy is the fraction of rows of logits [n classes] whose largest value
// is at the target class (target [n] class indices); ties go to the first
// maximum, as argmax does. It is a metric, not differentiable.
func Accuracy(logits, target *tensor.Tensor) float32 {
	n, c := batchClasses("accuracy", logits, target)
	xd, td := logits.Data(), target.Data()
	correct := 0
	for i := range n {
		row := xd[i*c : (i+1)*c]
		best := 0
		for j, v := range row[1:] {
			if v > row[best] {
				best = j + 1
			}
		}
		if best == label("accuracy", td, i, c) {
			correct++
		}
	}
	return float32(correct) / float32(n)
}
