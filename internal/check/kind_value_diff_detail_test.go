package check

func init() {
	jaffleParams[ValueDiffDetail] = Params{"model": "customers", "primary_key": "customer_id"}
}
