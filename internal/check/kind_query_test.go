package check

func init() {
	jaffleParams[Query] = Params{"sql_template": `select count(*) as n from {{ ref("customers") }}`}
	jaffleParams[QueryBase] = Params{"sql_template": `select count(*) as n from {{ ref("customers") }}`}
}
