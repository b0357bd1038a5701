package program

import "testing"

func TestNearestPrefersCaseThenEditsThenPrefix(t *testing.T) {
	valid := []string{"instanceType", "launchGate", "launchGateTimeoutSeconds", "dataVolume", "tags"}
	for _, tc := range []struct {
		name, want string
	}{
		{"datavolume", "dataVolume"},                      // case only
		{"DATAVOLUME", "dataVolume"},                      // case only
		{"instanceTyp", "instanceType"},                   // one edit
		{"instnaceType", "instanceType"},                  // two edits
		{"launchGat", "launchGate"},                       // an edit beats a longer key it begins
		{"launchGateTimeout", "launchGateTimeoutSeconds"}, // a unit left off
		{"tag", "tags"},
		{"colour", ""},
		{"x", ""},
	} {
		got, ok := nearest(tc.name, valid)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("nearest(%q) = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}

func TestUnknownNameListsTheKeysWhenNoneIsNear(t *testing.T) {
	if got, want := unknownName("colour", []string{"a", "b"}, "p:"), "want one of a, b"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := unknownName("b", []string{"a", "B"}, "p:"), "did you mean p:B?"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
