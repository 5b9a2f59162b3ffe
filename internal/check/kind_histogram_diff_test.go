package check

func init() {
	jaffleParams[HistogramDiff] = Params{"model": "customers", "column_name": "customer_lifetime_value"}
}
