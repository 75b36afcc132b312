package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/pgbaseline/pgbaseline/report"
)

// FailuresBySeverity counts the NonCompliant results of each of the given
// scans by severity, for the dashboard's severity trend, without decoding
// the results. Scans with no failure are absent from the map.
func (s *sqlStore) FailuresBySeverity(ctx context.Context, scanIDs []string) (map[string]map[report.Severity]int, error) {
	out := map[string]map[report.Severity]int{}
	if len(scanIDs) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(scanIDs))
	marks := make([]string, 0, len(scanIDs))
	for _, id := range scanIDs {
		n, err := parseID(id)
		if err != nil {
			return nil, err
		}
		args = append(args, n)
		marks = append(marks, fmt.Sprintf("$%d", len(args)))
	}
	rows, err := s.r.QueryContext(ctx, `SELECT scan_id, severity, COUNT(*) FROM results
		WHERE status = 'NonCompliant' AND scan_id IN (`+strings.Join(marks, ", ")+`) GROUP BY scan_id, severity`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id  int64
			sev string
			n   int
		)
		if err := rows.Scan(&id, &sev, &n); err != nil {
			return nil, err
		}
		key := fmt.Sprint(id)
		if out[key] == nil {
			out[key] = map[report.Severity]int{}
		}
		out[key][report.Severity(sev)] = n
	}
	return out, rows.Err()
}
