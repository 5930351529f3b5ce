package canon_test

import (
	"fmt"

	"github.com/kiln-data/kiln/internal/canon"
)

func ExampleJSON() {
	type WindowCfg struct {
		Days   int               `json:"days"`
		Column string            `json:"column"`
		Tags   map[string]string `json:"tags,omitempty"`
	}
	b, err := canon.JSON(WindowCfg{Days: 30, Column: "<revenue>", Tags: map[string]string{"z": "1", "a": "2"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output: {"column":"<revenue>","days":30,"tags":{"a":"2","z":"1"}}
}
