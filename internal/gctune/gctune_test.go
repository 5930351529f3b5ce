package gctune

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func current() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestEnterSetsAndRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	before := debug.SetGCPercent(150)
	defer debug.SetGCPercent(before)

	leave1 := Enter(25)
	assert.Equal(t, 25, current())
	leave2 := Enter(40) // nested: the first setting stays
	assert.Equal(t, 25, current())
	leave1()
	leave1() // idempotent
	assert.Equal(t, 25, current(), "still one Enter active")
	leave2()
	assert.Equal(t, 150, current(), "restored after the last leave")
}

func TestEnterHonoursGOGCAndNonPositive(t *testing.T) {
	before := debug.SetGCPercent(150)
	defer debug.SetGCPercent(before)

	t.Setenv("GOGC", "100")
	leave := Enter(25)
	assert.Equal(t, 150, current(), "GOGC set: untouched")
	leave()

	t.Setenv("GOGC", "")
	leave = Enter(0)
	assert.Equal(t, 150, current(), "percent 0: untouched")
	leave()
}
