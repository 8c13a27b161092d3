module example.com/unicodé

// Ünïcödé comment ✓
require example.com/ß v1.0.0 // ✓ indirect
replace example.com/ß => ./dïr
tool ツ
ignore ./😀
