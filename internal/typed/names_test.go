package typed

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSnakeCase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ID", "id"},
		{"UserID", "user_id"},
		{"EventTS", "event_ts"},
		{"HTTPStatus", "http_status"},
		{"UserIDs", "user_ids"},
		{"URLsByHost", "urls_by_host"},
		{"MD5Sum", "md5_sum"},
		{"S3Path", "s3_path"},
		{"Price2", "price2"},
		{"Top10Items", "top10_items"},
		{"Amount", "amount"},
		{"amount", "amount"},
		{"User_ID", "user_id"},
		{"A", "a"},
		{"AB", "ab"},
		{"ABc", "a_bc"},
		{"JSONData", "json_data"},
		{"ItemIDByUser", "item_id_by_user"},
		{"Größe", "größe"},
	} {
		assert.Equal(t, tc.want, SnakeCase(tc.in), "SnakeCase(%q)", tc.in)
	}
}

func TestParseTag(t *testing.T) {
	name, opts, err := parseTag("ts,unit=ms,tz=")
	assert.NoError(t, err)
	assert.Equal(t, "ts", name)
	assert.True(t, opts.hasUnit)
	assert.True(t, opts.hasTZ)
	assert.Nil(t, opts.loc)

	name, opts, err = parseTag(",dict")
	assert.NoError(t, err)
	assert.Equal(t, "", name)
	assert.True(t, opts.dict)

	for _, bad := range []string{"x,unit=h", "x,tz=Mars/Olympus", "x,omitempty", "x,dict=yes", "x,unit"} {
		_, _, err := parseTag(bad)
		assert.Error(t, err, bad)
	}
}
