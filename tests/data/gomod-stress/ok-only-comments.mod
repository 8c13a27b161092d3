// one

// two
// three
