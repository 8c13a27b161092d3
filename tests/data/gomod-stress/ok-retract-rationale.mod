module example.com/ret

// Block rationale.
retract (
	v1.0.0
	v1.0.1 // own rationale
	// above
	v1.0.2
)

retract v2.0.0 // suffix
// multi
// line
retract [v3.0.0, v3.1.0]
