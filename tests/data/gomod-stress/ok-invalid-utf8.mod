module example.com/ÿþinvalid

// comment Ã

replace example.com/a => "./\xff"
tool xâ‚
