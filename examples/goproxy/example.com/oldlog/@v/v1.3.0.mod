// Deprecated: use log/slog from the standard library.
module example.com/oldlog

go 1.21
