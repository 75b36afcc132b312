package scan

import (
	"context"
	"time"
)

// FleetPlanned reports whether RunJSON would scan o one server group at a
// time (the fleet path) rather than read everything at once.
func FleetPlanned(e *Engine, o Options) (bool, error) {
	inputs, err := e.load(context.Background(), o)
	if err != nil {
		return false, err
	}
	p, err := e.planFleet(o, inputs, time.Now())
	return p != nil, err
}
