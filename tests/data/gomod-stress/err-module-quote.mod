module `example.com/x`
