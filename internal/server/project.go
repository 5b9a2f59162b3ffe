package server

import (
	"encoding/json"
	"net/http"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/lineage"
)

type infoView struct {
	Mode        Mode               `json:"mode"`
	Warehouse   *warehouseView     `json:"warehouse"`
	PullRequest *check.PullRequest `json:"pull_request"`
	Lineage     json.RawMessage    `json:"lineage"`
	GitLab      gitlabBrief        `json:"gitlab"`
	// Session is the merge request session a session review belongs to
	// (GET /api/mr/{iid}/info); absent for the local review.
	Session *sessionView `json:"session,omitempty"`
}

// warehouseView is null in review mode. In live mode, a warehouse that
// could not be opened is there with available false and the reason, so the
// app can say why data checks cannot run.
type warehouseView struct {
	Type      string `json:"type"`
	Available bool   `json:"available"`
	Error     string `json:"error,omitempty"`
}

type gitlabBrief struct {
	Connected bool   `json:"connected"`
	Mode      string `json:"mode"`
}

// info answers GET /api/info: what the app shows first.
func (s *Server) info(w http.ResponseWriter, r *http.Request, rv *review) error {
	if rv == nil { // a team server: no local review, its merge requests only
		rv = &review{mode: ModeTeam, env: s.opts.Env, warehouseType: s.opts.WarehouseType, lineage: []byte("null")}
	}
	v := infoView{Mode: rv.mode, PullRequest: rv.pr, Lineage: rv.lineage, GitLab: gitlabBrief{Mode: "none"}}
	if rv.mode != ModeReview {
		wv := &warehouseView{Type: rv.warehouseType, Available: rv.env.Warehouse != nil}
		if e := rv.env.NoWarehouse; e != nil && !wv.Available {
			wv.Error = e.Error()
		}
		v.Warehouse = wv
	}
	conn, err := s.connection(r.Context())
	if err != nil {
		return err
	}
	if conn != nil {
		v.GitLab = gitlabBrief{Connected: true, Mode: conn.Mode}
	}
	if rv.session != nil {
		if v.Session, err = s.viewSession(r.Context(), rv.session.ProjectID, rv.session.IID); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

type nodeSide struct {
	Relation     string       `json:"relation"`
	Materialized string       `json:"materialized"`
	Code         string       `json:"code"`
	Columns      []columnView `json:"columns"`
}

type columnView struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type nodeView struct {
	UniqueID     string               `json:"unique_id"`
	Name         string               `json:"name"`
	ResourceType string               `json:"resource_type"`
	Change       lineage.Change       `json:"change"`
	Reasons      []lineage.Reason     `json:"reasons"`
	Base         *nodeSide            `json:"base"`
	Current      *nodeSide            `json:"current"`
	Columns      *lineage.ColumnsDiff `json:"columns"`
	PrimaryKey   []string             `json:"primary_key"`
}

// node answers GET /api/nodes/{unique_id}: the node panel.
func (s *Server) node(w http.ResponseWriter, r *http.Request, rv *review) error {
	id := r.PathValue("unique_id")
	e := rv.env
	n := e.Lineage().Node(id)
	if n == nil {
		return errorf(http.StatusNotFound, "no node %q in either manifest (unique ids look like model.my_project.customers)", id)
	}
	v := nodeView{
		UniqueID: n.UniqueID, Name: n.Name, ResourceType: n.ResourceType, Change: n.Change, Reasons: n.Reasons,
		Base: side(n.Base, e.Base), Current: side(n.Current, e.Current), Columns: n.Columns,
		PrimaryKey: diff.InferPrimaryKey(e.Current.Manifest, e.Base.Manifest, n.UniqueID),
	}
	if v.Reasons == nil {
		v.Reasons = []lineage.Reason{}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// side describes a node in one environment: columns as the warehouse
// built them (catalog), else as documented in the YAML.
func side(n *dbt.Node, a *dbt.Artifacts) *nodeSide {
	if n == nil {
		return nil
	}
	s := &nodeSide{Relation: n.RelationName, Materialized: n.Materialized(), Code: n.Code(), Columns: []columnView{}}
	if a.Catalog != nil {
		if t := a.Catalog.Nodes[n.UniqueID]; t != nil {
			for _, c := range t.Columns() {
				s.Columns = append(s.Columns, columnView{Name: c.Name, Type: c.Type})
			}
			return s
		}
	}
	for _, c := range n.Columns() {
		s.Columns = append(s.Columns, columnView{Name: c.Name, Type: c.DataType})
	}
	return s
}

// selectNodes answers GET /api/select?select=S&exclude=E with the unique
// ids the selection matches, state: methods included.
func (s *Server) selectNodes(w http.ResponseWriter, r *http.Request, rv *review) error {
	q := r.URL.Query()
	res, err := rv.env.Lineage().Select(q.Get("select"), q.Get("exclude"))
	if err != nil {
		return &apiError{Status: http.StatusBadRequest, Message: "invalid selector: " + err.Error(), Detail: map[string]string{"select": q.Get("select"), "exclude": q.Get("exclude")}}
	}
	ids := make([]string, len(res.Nodes))
	for i, n := range res.Nodes {
		ids[i] = n.UniqueID
	}
	writeJSON(w, http.StatusOK, map[string]any{"nodes": ids})
	return nil
}
