package tensor

import "testing"

func TestBLASInfo(t *testing.T) {
	info := BLASInfo()
	if info == "" {
		t.Fatal("BLASInfo is empty")
	}
	t.Log(info)
}
