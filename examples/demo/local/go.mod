// A module the demo replaces with this directory: gomodbot leaves it alone.
module example.com/local

go 1.22
