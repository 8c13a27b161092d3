// deprecated: lower case is not it
// Deprecated:x no space is fine
module example.com/notdep
