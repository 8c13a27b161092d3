module "example.com/quoted"

go 1.21

require (
	"example.com/a" v1.0.0
	"example.com/\x62" "v1.2.0"
	example.com/c "v1.3"
)

replace "example.com/a" => "../dir with space"
replace example.com/c => "./caf\u00e9"
tool "example.com/a/cmd"
ignore "./some dir"
retract "v1.0.0"
retract ["v0.1.0", "v0.2.0"]
