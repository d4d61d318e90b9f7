package marketing

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kehu/crm/analysis"
	"github.com/kehu/crm/communication"
	"github.com/kehu/crm/crmtype"
)

// Market research. A campaign of type research sends a survey of the
// communication module to its members (SendResearchSurvey): each member
// still in status added gets an invitation about the campaign through
// communication.Service.SendInvitation, and so through the contact
// decision for research, and moves to status sent. SyncResearchResponses
// moves the members who answered to status responded, and
// ResearchResults aggregates the answers per question, overall and by a
// grouping of the respondents.

// ResearchParams describe a research send.
type ResearchParams struct {
	// SurveyKey is the survey to send; required.
	SurveyKey string
	// Send names the template and channel of the invitation message (see
	// communication.Service.SendInvitation). Its CustomerID must be zero
	// (each member is the customer); Channel defaults to the campaign's;
	// Purpose to research; CampaignID and List are the campaign's (List
	// defaults to its UTM campaign).
	Send communication.SendParams
	// Limit is how many members this call considers at most; 0 means all
	// members in status added (at most MaxAddMembers).
	Limit int
	// TTL is how long each invitation stays valid; 0 means
	// communication.DefaultInvitationTTL.
	TTL time.Duration
}

// ResearchFailure is a member whose invitation failed.
type ResearchFailure struct {
	CustomerID crmtype.ID
	Err        error
}

// MaxResearchFailures bounds ResearchSendResult.Failures.
const MaxResearchFailures = 100

// ResearchSendResult counts what SendResearchSurvey did with the members
// it considered.
type ResearchSendResult struct {
	// Considered counts the members in status added that the call took.
	Considered int
	// Sent counts the members invited: they are in status sent now.
	Sent int
	// Skipped counts the members the contact decision denied or deferred,
	// by its reason code (communication.Reason...): they stay in status
	// added, for a later call.
	Skipped map[string]int
	// Failed counts the members whose invitation failed otherwise (the
	// sender refused it, the template did not render for them, ...);
	// they stay in status added. Failures holds the first
	// MaxResearchFailures of them.
	Failed   int
	Failures []ResearchFailure
}

// SkippedTotal returns the number of members skipped.
func (r ResearchSendResult) SkippedTotal() int {
	n := 0
	for _, v := range r.Skipped {
		n += v
	}
	return n
}

// Grouping of ResearchResultsParams.By.
const (
	ByStage    = "stage"      // the respondent's lifecycle stage
	ByAttrib   = "attribute:" // + a custom attribute key: its value
	BySnapshot = "snapshot"   // membership of ResearchResultsParams.Snapshots
	ByList     = "list"       // membership of ResearchResultsParams.Lists
)

// ResearchResultsParams select what ResearchResults aggregates.
type ResearchResultsParams struct {
	// SurveyKey is the survey; default the one survey the campaign's
	// responses answer (ErrInvalid "survey_key" when they answer several).
	SurveyKey string
	// By groups the respondents: "" (no groups), ByStage, ByAttrib+key
	// (e.g. "attribute:tier"), BySnapshot or ByList.
	By string
	// Snapshots are the segment snapshots of BySnapshot, Lists the static
	// lists of ByList: 1 to MaxResearchGroups each.
	Snapshots []crmtype.ID
	Lists     []crmtype.ID
	// Level is the confidence level of the intervals, in (0, 1); default
	// 0.95.
	Level float64
}

// MaxResearchGroups bounds ResearchResultsParams.Snapshots and Lists.
const MaxResearchGroups = 50

// OptionResult is how many respondents chose one option of a single or
// multiple choice question.
type OptionResult struct {
	Option string
	Count  int
	// Share is Count over the question's N (for a multiple choice
	// question the shares may add up to more than 1), with its Wilson
	// interval (analysis.WilsonInterval).
	Share    float64
	Interval analysis.ConfidenceInterval
}

// QuestionResult aggregates the answers to one question.
type QuestionResult struct {
	Key  string
	Kind communication.QuestionKind
	Text string
	// N counts the responses that answer the question.
	N int
	// Score is the score of an nps, rating or ces question, computed as
	// communication.Service.SurveyScore computes it; nil for other kinds.
	Score *communication.Score
	// Options are the counts of a single or multiple choice question, in
	// the order of the question's options (options of older versions
	// after them); nil for other kinds.
	Options []OptionResult
}

// ResearchGroup is the results of one group of respondents.
type ResearchGroup struct {
	// Key is the stage, the attribute's value (its JSON text when not a
	// string), or the snapshot's or list's ID; "" gathers the respondents
	// with no stage or value, or in none of the snapshots or lists.
	Key       string
	Responses int
	Questions []QuestionResult
}

// ResearchResults are the aggregated answers of a research campaign.
type ResearchResults struct {
	CampaignID crmtype.ID
	SurveyKey  string
	Level      float64
	// Responses counts the responses to the survey about the campaign.
	Responses int
	// Questions are the results over every response, in the order of the
	// survey's latest version (questions only older versions ask after).
	Questions []QuestionResult
	By        string
	// Groups are the results per group, by key ("" last). With
	// BySnapshot or ByList a respondent counts in each group it is in.
	Groups []ResearchGroup
}

// ResearchResponse is a response about a campaign, as ResearchStore reads
// it.
type ResearchResponse struct {
	ID         crmtype.ID
	CustomerID crmtype.ID
	Version    int
	// Answers are the response's answers (empty once its customer was
	// erased), numbers as int, multiple choices as []string.
	Answers map[string]any
	// Scores are the numeric answers, kept through erasure.
	Scores []ScoredAnswer
	// Stage and Attributes (JSON) are the respondent's; In lists the
	// snapshots or lists of the query the respondent is in.
	Stage      string
	Attributes string
	In         []crmtype.ID
}

// ScoredAnswer is one numeric answer of a response.
type ScoredAnswer struct {
	Question string
	Kind     communication.QuestionKind
	Value    int
}

// ResearchQuery selects the responses ResearchStore.ResearchResponses
// reads.
type ResearchQuery struct {
	CampaignID crmtype.ID
	SurveyKey  string
	// Snapshots or Lists (at most one of them set) fill
	// ResearchResponse.In.
	Snapshots []crmtype.ID
	Lists     []crmtype.ID
}

// ResearchStore reads what market research needs. Every method confines
// itself to the scope's workspace.
type ResearchStore interface {
	// SurveyVersions returns every version of survey key, oldest first;
	// ErrNotFound when there is none (as communication.SurveyStore).
	SurveyVersions(ctx context.Context, sc crmtype.Scope, key string) ([]*communication.Survey, error)
	// ResearchSurveyKeys returns the distinct survey keys of the
	// responses about campaign id, sorted.
	ResearchSurveyKeys(ctx context.Context, sc crmtype.Scope, id crmtype.ID) ([]string, error)
	// ResearchRespondents returns the members of campaign id that have a
	// response about it and no first response time yet, each with the
	// time of its first such response, by customer.
	ResearchRespondents(ctx context.Context, sc crmtype.Scope, id crmtype.ID) ([]StatusUpdate, error)
	// ResearchResponses returns the responses q selects, oldest first.
	ResearchResponses(ctx context.Context, sc crmtype.Scope, q ResearchQuery) ([]ResearchResponse, error)
}

// researchFlush is how many sent members SendResearchSurvey records at a
// time.
const researchFlush = 100

// SendResearchSurvey sends survey p.SurveyKey to the members of research
// campaign id still in status added (up to p.Limit): for each, it calls
// communication.Service.SendInvitation with About.CampaignID set to the
// campaign, so the contact decision for research applies. A member
// invited moves to status sent (SetMemberStatuses, in batches); one the
// decision denies or defers is skipped and counted by reason, and one
// whose message fails is counted as failed: both stay in status added,
// so a later call tries them again. A crash between a send and the
// recording of its status may invite that member twice.
//
// Errors (nothing sent): ErrInvalid "survey_key" (missing or malformed),
// "send.key", "send.channel" (none, and the campaign has none),
// "send.customer_id" (set), "limit" (negative or more than
// MaxAddMembers), "ttl", "campaign" (not a research campaign, or not
// active); ErrNotFound when the workspace has no campaign id or survey
// p.SurveyKey. An error that stops every send (no sender configured, the
// context ended) is returned with the counts so far.
func (s *Service) SendResearchSurvey(ctx context.Context, id crmtype.ID, p ResearchParams) (*ResearchSendResult, error) {
	const op = "send research survey"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.SurveyKey) == "" {
		return nil, wrap(op, crmtype.Invalid("survey_key", "is required"))
	}
	if strings.TrimSpace(p.Send.Key) == "" {
		return nil, wrap(op, crmtype.Invalid("send.key", "is required: the template of the invitation message"))
	}
	if !p.Send.CustomerID.IsZero() {
		return nil, wrap(op, crmtype.Invalid("send.customer_id", "must be empty: each member is the customer"))
	}
	if p.Limit < 0 || p.Limit > MaxAddMembers {
		return nil, wrap(op, crmtype.Invalidf("limit", "is %d: give 0 (all) to %d", p.Limit, MaxAddMembers))
	}
	if p.TTL != 0 && (p.TTL < communication.MinInvitationTTL || p.TTL > communication.MaxInvitationTTL) {
		return nil, wrap(op, crmtype.Invalidf("ttl", "is %s: give %s to %s", p.TTL, communication.MinInvitationTTL, communication.MaxInvitationTTL))
	}
	if s.comm == nil {
		return nil, wrap(op, errors.New("no communication service: research surveys are sent through it"))
	}
	c, err := s.researchCampaign(ctx, sc, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	if c.Status != StatusActive {
		return nil, wrap(op, crmtype.Invalidf("campaign", "is %s: a research campaign sends while active", c.Status))
	}
	if _, err := s.comm.Survey(ctx, p.SurveyKey, 0); err != nil {
		return nil, wrap(op, renameField(err, "key", "survey_key"))
	}
	send := p.Send
	if send.Channel == "" {
		send.Channel = communication.Channel(c.Channel)
	}
	if send.Channel == "" {
		return nil, wrap(op, crmtype.Invalid("send.channel", "is required when the campaign has no channel"))
	}
	if send.Purpose == "" {
		send.Purpose = communication.PurposeResearch
	}
	if send.List == "" {
		send.List = c.UTM.Campaign
	}
	send.CampaignID = id

	limit := p.Limit
	if limit == 0 {
		limit = MaxAddMembers
	}
	var ids []crmtype.ID
	for after := crmtype.Cursor(""); len(ids) < limit; {
		page, err := s.store.ListMembers(ctx, sc, id, MemberListParams{Status: MemberAdded, After: after}, min(crmtype.MaxPageSize, limit-len(ids)))
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, m := range page.Items {
			ids = append(ids, m.CustomerID)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}

	res := &ResearchSendResult{Considered: len(ids), Skipped: map[string]int{}}
	var sent []StatusUpdate
	flush := func() error {
		if len(sent) == 0 {
			return nil
		}
		if _, err := s.SetMemberStatuses(ctx, id, sent); err != nil {
			return err
		}
		res.Sent += len(sent)
		sent = sent[:0]
		return nil
	}
	for _, cust := range ids {
		if err := ctx.Err(); err != nil {
			return res, wrap(op, errors.Join(err, flush()))
		}
		inv, err := s.comm.SendInvitation(ctx, communication.InviteParams{SurveyKey: p.SurveyKey, CustomerID: cust,
			About: communication.About{CampaignID: id}, TTL: p.TTL}, send)
		var na *communication.NotAllowedError
		switch {
		case inv != nil: // it went out, even if Send reported an error after
			sent = append(sent, StatusUpdate{CustomerID: cust, Status: MemberSent, At: s.clock.Now()})
		case errors.As(err, &na):
			res.Skipped[na.Decision.Reason]++
		case errors.Is(err, communication.ErrNoSender) || ctx.Err() != nil:
			return res, wrap(op, errors.Join(err, flush()))
		default:
			res.Failed++
			if len(res.Failures) < MaxResearchFailures {
				res.Failures = append(res.Failures, ResearchFailure{CustomerID: cust, Err: err})
			}
		}
		if len(sent) >= researchFlush {
			if err := flush(); err != nil {
				return res, wrap(op, err)
			}
		}
	}
	if err := flush(); err != nil {
		return res, wrap(op, err)
	}
	return res, nil
}

// researchCampaign returns campaign id when it is a research campaign.
func (s *Service) researchCampaign(ctx context.Context, sc crmtype.Scope, id crmtype.ID) (*Campaign, error) {
	c, err := s.store.GetCampaign(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if c.Type != TypeResearch {
		return nil, crmtype.Invalidf("campaign", "is a %s campaign, not a research one", c.Type)
	}
	return c, nil
}

// renameField returns err with a validation error's field old renamed.
func renameField(err error, old, new string) error {
	var ve *crmtype.ValidationError
	if errors.As(err, &ve) && ve.Field == old {
		return crmtype.Invalid(new, ve.Reason)
	}
	return err
}

// SyncResearchResponses moves the members of campaign id that answered a
// survey about it (a response with About.CampaignID, whatever the survey)
// and have not responded yet to status responded, at the time of their
// first such response, and returns how many it moved. It is idempotent:
// a member who responded already (a first response time) is left alone,
// whatever its status. Errors: ErrNotFound when the workspace has no
// campaign id; ErrInvalid "campaign" when the campaign is completed or
// aborted and has members to move.
func (s *Service) SyncResearchResponses(ctx context.Context, id crmtype.ID) (int, error) {
	const op = "sync research responses"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return 0, err
	}
	if _, err := s.store.GetCampaign(ctx, sc, id); err != nil {
		return 0, wrap(op, err)
	}
	us, err := s.store.ResearchRespondents(ctx, sc, id)
	if err != nil || len(us) == 0 {
		return 0, wrap(op, err)
	}
	total := 0
	for start := 0; start < len(us); start += MaxAddMembers {
		chunk := us[start:min(start+MaxAddMembers, len(us))]
		for i := range chunk {
			chunk[i].Status = MemberResponded
		}
		missing, err := s.SetMemberStatuses(ctx, id, chunk)
		if err != nil {
			return total, wrap(op, err)
		}
		total += len(chunk) - len(missing)
	}
	return total, nil
}

// ResearchResults aggregates the responses to a survey about campaign id
// per question: N, for nps, rating and ces questions the score with its
// interval (communication.Service.SurveyScore over the responses about
// the campaign), for single and multiple choice questions the count and
// share of each option with its Wilson interval; and the same for each
// group of respondents p.By names. Text answers are only counted.
//
// Errors: ErrInvalid "survey_key" (none given and the responses answer
// several surveys), "by" (an unknown grouping, or an attribute the
// workspace has not defined), "snapshots", "lists" (with their grouping:
// 1 to MaxResearchGroups, distinct; otherwise empty), "level";
// ErrNotFound when the workspace has no campaign id, survey, snapshot or
// list.
func (s *Service) ResearchResults(ctx context.Context, id crmtype.ID, p ResearchResultsParams) (*ResearchResults, error) {
	const op = "research results"
	sc, err := s.scope(ctx, op)
	if err != nil {
		return nil, err
	}
	if p.Level == 0 {
		p.Level = 0.95
	}
	if !(p.Level > 0 && p.Level < 1) {
		return nil, wrap(op, crmtype.Invalidf("level", "is %g, must be in (0, 1)", p.Level))
	}
	attr, err := s.checkGrouping(ctx, sc, &p)
	if err != nil {
		return nil, wrap(op, err)
	}
	if s.comm == nil {
		return nil, wrap(op, errors.New("no communication service: research scores are computed by it"))
	}
	if _, err := s.store.GetCampaign(ctx, sc, id); err != nil {
		return nil, wrap(op, err)
	}
	p.SurveyKey = strings.TrimSpace(p.SurveyKey)
	if p.SurveyKey == "" {
		keys, err := s.store.ResearchSurveyKeys(ctx, sc, id)
		if err != nil {
			return nil, wrap(op, err)
		}
		switch len(keys) {
		case 0:
			return &ResearchResults{CampaignID: id, Level: p.Level, By: p.By}, nil
		case 1:
			p.SurveyKey = keys[0]
		default:
			return nil, wrap(op, crmtype.Invalidf("survey_key", "is required: the campaign's responses answer %d surveys (%s)", len(keys), strings.Join(keys, ", ")))
		}
	}
	versions, err := s.store.SurveyVersions(ctx, sc, p.SurveyKey)
	if err != nil {
		return nil, wrap(op, renameField(err, "key", "survey_key"))
	}
	rs, err := s.store.ResearchResponses(ctx, sc, ResearchQuery{CampaignID: id, SurveyKey: p.SurveyKey, Snapshots: p.Snapshots, Lists: p.Lists})
	if err != nil {
		return nil, wrap(op, err)
	}
	qs := researchQuestions(versions)
	out := &ResearchResults{CampaignID: id, SurveyKey: p.SurveyKey, Level: p.Level, Responses: len(rs), By: p.By}
	agg := researchAggregator{versions: versions, questions: qs, level: p.Level}
	// Overall: the scores come from SurveyScore itself.
	out.Questions, err = agg.aggregate(ctx, rs, func(q communication.Question) (communication.Score, error) {
		return s.comm.SurveyScore(ctx, communication.ScoreParams{SurveyKey: p.SurveyKey, Question: q.Key,
			About: communication.About{CampaignID: id}, Level: p.Level})
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	if p.By == "" {
		return out, nil
	}
	groups := map[string][]ResearchResponse{}
	for _, r := range rs {
		for _, k := range groupKeys(r, p, attr) {
			groups[k] = append(groups[k], r)
		}
	}
	keys := slices.SortedFunc(maps.Keys(groups), func(a, b string) int {
		if (a == "") != (b == "") {
			return cmp.Compare(b, a) // "" last
		}
		return cmp.Compare(a, b)
	})
	for _, k := range keys {
		members := groups[k]
		qr, err := agg.aggregate(ctx, members, nil)
		if err != nil {
			return nil, wrap(op, err)
		}
		out.Groups = append(out.Groups, ResearchGroup{Key: k, Responses: len(members), Questions: qr})
	}
	return out, nil
}

// checkGrouping validates p's grouping and returns the attribute key of
// ByAttrib.
func (s *Service) checkGrouping(ctx context.Context, sc crmtype.Scope, p *ResearchResultsParams) (string, error) {
	p.By = strings.TrimSpace(p.By)
	ids := func(field string, v []crmtype.ID, want bool) error {
		if !want {
			if len(v) > 0 {
				return crmtype.Invalidf(field, "is only for By %q", strings.TrimSuffix(field, "s"))
			}
			return nil
		}
		if len(v) == 0 || len(v) > MaxResearchGroups {
			return crmtype.Invalidf(field, "has %d: give 1 to %d", len(v), MaxResearchGroups)
		}
		seen := map[crmtype.ID]bool{}
		for i, x := range v {
			if x.IsZero() || seen[x] {
				return crmtype.Invalid(fmt.Sprintf("%s[%d]", field, i), "is empty or repeated")
			}
			seen[x] = true
		}
		return nil
	}
	if err := ids("snapshots", p.Snapshots, p.By == BySnapshot); err != nil {
		return "", err
	}
	if err := ids("lists", p.Lists, p.By == ByList); err != nil {
		return "", err
	}
	switch {
	case p.By == "" || p.By == ByStage:
	case p.By == BySnapshot:
		for _, x := range p.Snapshots {
			if _, err := s.store.GetSnapshot(ctx, sc, x); err != nil {
				return "", err
			}
		}
	case p.By == ByList:
		for _, x := range p.Lists {
			if _, err := s.store.GetList(ctx, sc, x); err != nil {
				return "", err
			}
		}
	case strings.HasPrefix(p.By, ByAttrib):
		key := strings.TrimPrefix(p.By, ByAttrib)
		defs, err := s.store.AttributeDefs(ctx, sc)
		if err != nil {
			return "", err
		}
		for _, d := range defs {
			if d.Key == key {
				return key, nil
			}
		}
		return "", crmtype.Invalidf("by", "%q is not a custom attribute of the workspace", key)
	default:
		return "", crmtype.Invalidf("by", "%q is not a grouping: use \"\", %q, %q<key>, %q or %q", p.By, ByStage, ByAttrib, BySnapshot, ByList)
	}
	return "", nil
}

// groupKeys returns the groups respondent r is in.
func groupKeys(r ResearchResponse, p ResearchResultsParams, attr string) []string {
	switch {
	case p.By == ByStage:
		return []string{r.Stage}
	case p.By == BySnapshot || p.By == ByList:
		if len(r.In) == 0 {
			return []string{""}
		}
		out := make([]string, len(r.In))
		for i, x := range r.In {
			out[i] = x.String()
		}
		return out
	case attr != "":
		var attrs map[string]any
		_ = json.Unmarshal([]byte(r.Attributes), &attrs) // an erased or odd row has no value
		switch v := attrs[attr].(type) {
		case nil:
			return []string{""}
		case string:
			return []string{v}
		default:
			b, _ := json.Marshal(v)
			return []string{string(b)}
		}
	}
	return nil
}

// researchQuestions returns the questions of a survey's versions: the
// latest version's in order, then those only older versions ask (newest
// first), each with its kind in the latest version asking it.
func researchQuestions(versions []*communication.Survey) []communication.Question {
	var out []communication.Question
	seen := map[string]bool{}
	for _, sv := range slices.Backward(versions) {
		for _, q := range sv.Questions {
			if !seen[q.Key] {
				seen[q.Key] = true
				out = append(out, q)
			}
		}
	}
	return out
}

type researchAggregator struct {
	versions  []*communication.Survey
	questions []communication.Question
	level     float64
}

// kindIn returns the kind of question key in version v, "" when v does
// not ask it.
func (a *researchAggregator) kindIn(v int, key string) communication.QuestionKind {
	for _, sv := range a.versions {
		if sv.Version == v {
			if q := sv.Question(key); q != nil {
				return q.Kind
			}
		}
	}
	return ""
}

// aggregate returns the results of each question over rs. score, when
// not nil, gives a numeric question's score; otherwise it is computed
// from rs's answers by SurveyScore's own code (communication.ScoreFromCounts).
func (a *researchAggregator) aggregate(ctx context.Context, rs []ResearchResponse, score func(communication.Question) (communication.Score, error)) ([]QuestionResult, error) {
	out := make([]QuestionResult, 0, len(a.questions))
	for _, q := range a.questions {
		qr := QuestionResult{Key: q.Key, Kind: q.Kind, Text: q.Text}
		switch q.Kind {
		case communication.QuestionNPS, communication.QuestionRating, communication.QuestionCES:
			var sc communication.Score
			var err error
			if score != nil {
				sc, err = score(q)
			} else {
				sc, err = a.groupScore(rs, q)
			}
			if err != nil {
				return nil, fmt.Errorf("question %s: %w", q.Key, err)
			}
			qr.N, qr.Score = sc.N, &sc
		case communication.QuestionSingle, communication.QuestionMultiple:
			counts := map[string]int{}
			var extra []string
			for _, r := range rs {
				if a.kindIn(r.Version, q.Key) != q.Kind {
					continue
				}
				var chosen []string
				switch v := r.Answers[q.Key].(type) {
				case string:
					chosen = []string{v}
				case []string:
					chosen = v
				}
				if len(chosen) == 0 {
					continue
				}
				qr.N++
				for _, o := range chosen {
					if _, ok := counts[o]; !ok && !slices.Contains(q.Options, o) {
						extra = append(extra, o)
					}
					counts[o]++
				}
			}
			slices.Sort(extra)
			for _, o := range slices.Concat(q.Options, extra) {
				or := OptionResult{Option: o, Count: counts[o], Share: ratio(float64(counts[o]), float64(qr.N))}
				if qr.N > 0 {
					ci, err := analysis.WilsonInterval(counts[o], qr.N, a.level)
					if err != nil {
						return nil, fmt.Errorf("question %s: %w", q.Key, err)
					}
					or.Interval = ci
				}
				qr.Options = append(qr.Options, or)
			}
		default:
			for _, r := range rs {
				if _, ok := r.Answers[q.Key]; ok && a.kindIn(r.Version, q.Key) == q.Kind {
					qr.N++
				}
			}
		}
		out = append(out, qr)
	}
	return out, nil
}

// groupScore scores numeric question q over rs as SurveyScore scores a
// whole survey (communication.ScoreFromCounts).
func (a *researchAggregator) groupScore(rs []ResearchResponse, q communication.Question) (communication.Score, error) {
	type vv struct{ version, value int }
	n := map[vv]int{}
	for _, r := range rs {
		for _, s := range r.Scores {
			if s.Question == q.Key && s.Kind == q.Kind {
				n[vv{r.Version, s.Value}]++
			}
		}
	}
	counts := make([]communication.AnswerCount, 0, len(n))
	for k, c := range n {
		counts = append(counts, communication.AnswerCount{Version: k.version, Value: k.value, N: c})
	}
	slices.SortFunc(counts, func(x, y communication.AnswerCount) int {
		return cmp.Or(cmp.Compare(x.Version, y.Version), cmp.Compare(x.Value, y.Value))
	})
	return communication.ScoreFromCounts(communication.ScoreParams{SurveyKey: a.versions[0].Key, Question: q.Key, Level: a.level}, q.Kind, counts)
}
