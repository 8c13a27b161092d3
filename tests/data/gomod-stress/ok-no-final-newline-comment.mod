module example.com/nofinal
// last comment without newline