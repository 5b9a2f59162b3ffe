package check

func init() {
	jaffleParams[QueryDiff] = Params{"sql_template": `select status, count(*) as n from {{ ref("orders") }} group by 1`, "primary_keys": "status"}
}
