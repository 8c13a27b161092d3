// Module doc.
//
// Deprecated:   two spaces then text
// continues here
//
// Not part of it.
module example.com/dep
