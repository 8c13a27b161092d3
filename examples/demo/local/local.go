// Package local lives next to the demo and is used through a replace directive.
package local

// Version says where this copy comes from.
const Version = "(replaced by ./local)"
