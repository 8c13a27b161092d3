module example.com/color

go 1.21

// Red and Blue are swapped; use v1.0.1 or later.
retract v1.0.0
