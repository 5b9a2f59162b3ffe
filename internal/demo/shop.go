package demo

import "strings"

// The shop: the small, hand-written heart of the demo. Raw customers,
// orders, payments and products (generated in DuckDB, see data.go), staging
// views, an ephemeral and an intermediate model, marts tables, one
// incremental model, a seed and an exposure. The current environment carries
// the deliberate changes listed in shopChanges; every feature of recce has
// one of them to show.

// Names of the shop's models that tests and the recce.yml checks refer to.
const (
	ordersModel     = "orders"                // modified: values change for ~2% of rows, 0.1% added, 0.1% removed
	customersModel  = "customers"             // modified: a column removed, one retyped DECIMAL -> DOUBLE
	whitespaceModel = "stg_products"          // whitespace-only edit
	matChangeModel  = "int_customer_payments" // view -> table
	addedModel      = "customer_cohorts"      // only in current
	removedModel    = "legacy_order_summary"  // only in base
)

// shopChanges lists the deliberate changes of the shop.
func shopChanges() Changes {
	return Changes{
		Added:          []string{addedModel},
		Removed:        []string{removedModel},
		Modified:       []string{ordersModel, customersModel},
		WhitespaceOnly: []string{whitespaceModel},
		Materialized:   []string{matChangeModel},
		RemovedColumns: []string{customersModel + ".last_name"},
		RetypedColumns: []string{customersModel + ".lifetime_value: DECIMAL(18,2) -> DOUBLE"},
	}
}

// Types as DuckDB spells them in its catalog.
const (
	tBigint    = "BIGINT"
	tInteger   = "INTEGER"
	tVarchar   = "VARCHAR"
	tDate      = "DATE"
	tTimestamp = "TIMESTAMP"
	tDecimal   = "DECIMAL(18,2)"
	tDecimal38 = "DECIMAL(38,2)"
	tDouble    = "DOUBLE"
	tBoolean   = "BOOLEAN"
)

func shopSources() []*source {
	return []*source{
		{sourceName: "shop", name: "customers", loader: "fivetran", description: "One row per customer account, as replicated from the shop's application database.", columns: []column{
			{"id", tBigint, "Primary key of the customer account in the shop application."},
			{"first_name", tVarchar, "Customer's first name as entered at sign-up. PII."},
			{"last_name", tVarchar, "Customer's last name as entered at sign-up. PII."},
			{"email", tVarchar, "Login e-mail address of the customer. PII."},
			{"country_code", tVarchar, "ISO 3166-1 alpha-2 code of the customer's billing country."},
			{"created_at", tTimestamp, "When the account was created (UTC)."},
		}},
		{sourceName: "shop", name: "orders", loader: "fivetran", description: "One row per order placed in the shop, including unpaid and flagged orders.", columns: []column{
			{"id", tBigint, "Primary key of the order."},
			{"user_id", tBigint, "The customer who placed the order (customers.id)."},
			{"product_id", tBigint, "The product ordered (products.id); an order holds one product line."},
			{"quantity", tInteger, "Number of units ordered."},
			{"order_date", tDate, "Date the order was placed (UTC)."},
			{"status", tVarchar, "Order status: pending_payment, placed, shipped, completed, return_pending, returned or fraud_suspected."},
			{"coupon_code", tVarchar, "Coupon applied at checkout, if any."},
			{"shipped_at", tTimestamp, "When the parcel left the warehouse; null until shipped."},
		}},
		{sourceName: "shop", name: "payments", loader: "stripe", description: "One row per payment attempt that succeeded; an order may be paid in several payments.", columns: []column{
			{"id", tBigint, "Primary key of the payment."},
			{"order_id", tBigint, "The order paid (orders.id)."},
			{"payment_method", tVarchar, "credit_card, coupon, bank_transfer or gift_card."},
			{"amount_cents", tBigint, "Amount paid, in cents."},
		}},
		{sourceName: "shop", name: "products", loader: "manual", description: "The product catalogue.", columns: []column{
			{"id", tBigint, "Primary key of the product."},
			{"name", tVarchar, "Display name of the product."},
			{"category", tVarchar, "Product category used for merchandising."},
			{"price_cents", tBigint, "Current unit price, in cents."},
		}},
	}
}

// countries is the seed's content; the customer generator draws country
// codes from the same list (data.go).
var countries = [][]string{
	{"AU", "Australia", "APAC"}, {"BR", "Brazil", "LATAM"}, {"CA", "Canada", "NA"},
	{"DE", "Germany", "EMEA"}, {"ES", "Spain", "EMEA"}, {"FR", "France", "EMEA"},
	{"GB", "United Kingdom", "EMEA"}, {"IN", "India", "APAC"}, {"JP", "Japan", "APAC"},
	{"MX", "Mexico", "LATAM"}, {"NL", "Netherlands", "EMEA"}, {"US", "United States", "NA"},
}

func shopSeeds() []*seed {
	return []*seed{{
		name:        "country_codes",
		description: "ISO country codes with their display name and sales region, maintained by hand.",
		key:         "country_code",
		columns: []column{
			{"country_code", tVarchar, "ISO 3166-1 alpha-2 country code."},
			{"country_name", tVarchar, "English name of the country."},
			{"region", tVarchar, "Sales region: APAC, EMEA, LATAM or NA."},
		},
		rows: countries,
	}}
}

// shopModels returns the shop's models as they are in environment e.
func shopModels(e env) []*model {
	current := e == currentEnv
	ms := []*model{
		{name: "stg_customers", dir: "staging", materialized: "view", key: "customer_id",
			description: "Customers, renamed and typed; one row per customer account.",
			columns: []column{
				{"customer_id", tBigint, "Unique identifier of a customer."},
				{"first_name", tVarchar, "Customer's first name. PII."},
				{"last_name", tVarchar, "Customer's last name. PII."},
				{"email", tVarchar, "Customer's e-mail address, lower-cased. PII."},
				{"country_code", tVarchar, "ISO code of the billing country."},
				{"created_at", tTimestamp, "When the account was created (UTC)."},
			},
			raw: `with source as (

    select * from {{ source('shop', 'customers') }}

),

renamed as (

    select
        id as customer_id,
        first_name,
        last_name,
        lower(email) as email,
        country_code,
        created_at

    from source

)

select * from renamed
`},
		{name: "stg_orders", dir: "staging", materialized: "view", key: "order_id",
			description: "Orders, renamed and typed; one row per order, all statuses included.",
			columns: []column{
				{"order_id", tBigint, "Unique identifier of an order."},
				{"customer_id", tBigint, "The customer who placed the order."},
				{"product_id", tBigint, "The product ordered."},
				{"quantity", tInteger, "Units ordered."},
				{"order_date", tDate, "Date (UTC) the order was placed."},
				{"status", tVarchar, "Order status as reported by the shop application."},
				{"coupon_code", tVarchar, "Coupon applied at checkout, if any."},
				{"shipped_at", tTimestamp, "When the order shipped; null until then."},
			},
			raw: `with source as (

    select * from {{ source('shop', 'orders') }}

),

renamed as (

    select
        id as order_id,
        user_id as customer_id,
        product_id,
        quantity,
        order_date,
        status,
        coupon_code,
        shipped_at

    from source

)

select * from renamed
`},
		{name: "stg_payments", dir: "staging", materialized: "view", key: "payment_id",
			description: "Payments, with amounts converted from cents to dollars.",
			columns: []column{
				{"payment_id", tBigint, "Unique identifier of a payment."},
				{"order_id", tBigint, "The order this payment pays for."},
				{"payment_method", tVarchar, "How the customer paid."},
				{"amount", tDecimal, "Amount paid, in dollars."},
			},
			raw: `with source as (

    select * from {{ source('shop', 'payments') }}

),

renamed as (

    select
        id as payment_id,
        order_id,
        payment_method,
        {{ cents_to_dollars('amount_cents') }} as amount

    from source

)

select * from renamed
`},
		{name: whitespaceModel, dir: "staging", materialized: "view", key: "product_id",
			description: "Products, with prices converted from cents to dollars.",
			columns: []column{
				{"product_id", tBigint, "Unique identifier of a product."},
				{"product_name", tVarchar, "Display name of the product."},
				{"category", tVarchar, "Merchandising category."},
				{"unit_price", tDecimal, "Current unit price, in dollars."},
			},
			raw: stgProducts(current)},
		{name: "int_order_items", dir: "intermediate", materialized: "ephemeral", configFrom: configFromSQL,
			description: "Order lines priced with the product's unit price. Ephemeral: inlined into the models that use it.",
			columns: []column{
				{"order_id", tBigint, "The order."},
				{"product_id", tBigint, "The product of the order line."},
				{"item_count", tInteger, "Units in the order line."},
				{"subtotal", tDecimal, "Units times unit price, before discounts."},
			},
			raw: `{{ config(materialized='ephemeral') }}

select
    orders.order_id,
    orders.product_id,
    orders.quantity as item_count,
    cast(orders.quantity * products.unit_price as decimal(18, 2)) as subtotal

from {{ ref('stg_orders') }} as orders

join {{ ref('stg_products') }} as products
    on orders.product_id = products.product_id
`},
		{name: matChangeModel, dir: "intermediate", materialized: "view", key: "customer_id",
			description: "What each customer has paid, over all their orders.",
			columns: []column{
				{"customer_id", tBigint, "The customer."},
				{"payment_count", tBigint, "Number of payments made."},
				{"total_paid", tDecimal38, "Sum of the payments, in dollars."},
			},
			raw: `select
    orders.customer_id,
    count(*) as payment_count,
    sum(payments.amount) as total_paid

from {{ ref('stg_payments') }} as payments

join {{ ref('stg_orders') }} as orders
    on payments.order_id = orders.order_id

group by orders.customer_id
`},
		{name: ordersModel, dir: "marts", materialized: "table", key: "order_id", tags: []string{"finance"},
			description: "The order fact table: one row per valid order, with its amount after discount. The basis of revenue reporting.",
			columns: []column{
				{"order_id", tBigint, "Unique identifier of an order."},
				{"customer_id", tBigint, "The customer who placed the order."},
				{"order_date", tDate, "Date (UTC) the order was placed."},
				{"status", tVarchar, "Order status."},
				{"item_count", tInteger, "Units ordered."},
				{"amount", tDecimal, "Amount due after discount, in dollars."},
				{"discount", tDecimal, "Coupon discount granted, in dollars; null when no coupon applies."},
				{"shipped_date", tDate, "Date the order shipped; null when it has not shipped."},
			},
			raw: ordersSQL(current)},
		{name: customersModel, dir: "marts", materialized: "table", key: "customer_id", tags: []string{"finance"},
			description: "One row per customer with their order history and lifetime value.",
			columns:     customersColumns(current),
			raw:         customersSQL(current)},
		{name: "product_sales", dir: "marts", materialized: "table", key: "product_id",
			description: "Units sold and revenue per product, over all orders.",
			columns: []column{
				{"product_id", tBigint, "The product."},
				{"product_name", tVarchar, "Display name of the product."},
				{"category", tVarchar, "Merchandising category."},
				{"units_sold", tBigint, "Units sold over all orders."},
				{"revenue", tDecimal, "Revenue before discounts, in dollars."},
			},
			raw: `with items as (

    select * from {{ ref('int_order_items') }}

),

products as (

    select * from {{ ref('stg_products') }}

)

select
    products.product_id,
    products.product_name,
    products.category,
    cast(coalesce(sum(items.item_count), 0) as bigint) as units_sold,
    cast(coalesce(sum(items.subtotal), 0) as decimal(18, 2)) as revenue

from products

left join items
    on products.product_id = items.product_id

group by 1, 2, 3
`},
		{name: "daily_revenue", dir: "marts", materialized: "incremental", configFrom: configFromSQL, uniqueKey: "order_date", key: "order_date",
			description: "Orders and revenue per day. Incremental: each run only recomputes the days since the last one.",
			columns: []column{
				{"order_date", tDate, "The day (UTC)."},
				{"order_count", tBigint, "Orders placed that day."},
				{"revenue", tDecimal, "Amount of those orders, in dollars."},
			},
			raw: `{{ config(materialized='incremental', unique_key='order_date') }}

select
    order_date,
    count(*) as order_count,
    cast(sum(amount) as decimal(18, 2)) as revenue

from {{ ref('orders') }}

{% if is_incremental() %}
where order_date >= (select max(order_date) from {{ this }})
{% endif %}
group by order_date
`},
	}
	if current {
		ms[5].materialized, ms[5].configFrom = "table", configFromYAML
		ms = append(ms, &model{name: addedModel, dir: "marts", materialized: "table", key: "cohort_month",
			description: "Customers grouped by the month of their first order, with their lifetime value.",
			columns: []column{
				{"cohort_month", tDate, "Month of the customers' first order."},
				{"customer_count", tBigint, "Customers whose first order fell in that month."},
				{"lifetime_value", tDouble, "Their combined lifetime value, in dollars."},
			},
			raw: `select
    cast(date_trunc('month', first_order) as date) as cohort_month,
    count(*) as customer_count,
    sum(lifetime_value) as lifetime_value

from {{ ref('customers') }}

where first_order is not null

group by 1
`})
	} else {
		ms = append(ms, &model{name: removedModel, dir: "marts", materialized: "view", key: "status",
			description: "Deprecated: order counts per status, replaced by the BI tool's own aggregation.",
			columns: []column{
				{"status", tVarchar, "Order status."},
				{"order_count", tBigint, "Orders in that status."},
			},
			raw: `select
    status,
    count(*) as order_count

from {{ ref('orders') }}

group by status
`})
	}
	return ms
}

// stgProducts is the whitespace-only change: current re-indents the select
// list and drops blank lines, which changes the checksum but not the SQL.
func stgProducts(current bool) string {
	s := `with source as (

    select * from {{ source('shop', 'products') }}

),

renamed as (

    select
        id as product_id,
        name as product_name,
        category,
        {{ cents_to_dollars('price_cents') }} as unit_price

    from source

)

select * from renamed
`
	if current {
		s = strings.ReplaceAll(s, "\n        ", "\n      ")
		s = strings.ReplaceAll(s, "),\n\nrenamed", "),\nrenamed")
		s = strings.ReplaceAll(s, "\n", "\r\n")
	}
	return s
}

// ordersSQL is the modified model whose values change. The raw statuses and
// coupons are planted (data.go) so that the counts are exact:
//   - base drops unpaid orders (pending_payment); current keeps them but drops
//     orders flagged as fraud: 0.1% of rows added, 0.1% removed;
//   - the LEGACY5 coupon expired: its discount becomes null and the amount
//     the full subtotal (1.5% of rows, a value changed to null);
//   - orders pending a return did ship, so current gives them a shipped_date
//     (0.5% of rows, a value changed from null).
func ordersSQL(current bool) string {
	excluded, discount, shipped := "'pending_payment'",
		"orders.coupon_code is not null",
		"'shipped', 'completed', 'returned'"
	if current {
		excluded = "'fraud_suspected'"
		discount = "orders.coupon_code is not null\n                and orders.coupon_code <> 'LEGACY5'  -- expired on 2023-12-31"
		shipped = "'shipped', 'completed', 'return_pending', 'returned'"
	}
	return `with orders as (

    select * from {{ ref('stg_orders') }}

),

items as (

    select * from {{ ref('int_order_items') }}

),

discounted as (

    select
        orders.*,
        items.item_count,
        items.subtotal,
        case
            when ` + discount + `
                then cast(items.subtotal * 0.10 as decimal(18, 2))
        end as discount

    from orders

    left join items
        on orders.order_id = items.order_id

    where orders.status <> ` + excluded + `

)

select
    order_id,
    customer_id,
    order_date,
    status,
    item_count,
    cast(subtotal - coalesce(discount, 0) as decimal(18, 2)) as amount,
    discount,
    case
        when status in (` + shipped + `) then cast(shipped_at as date)
    end as shipped_date

from discounted
`
}

func customersColumns(current bool) []column {
	cols := []column{
		{"customer_id", tBigint, "Unique identifier of a customer."},
		{"first_name", tVarchar, "Customer's first name. PII."},
		{"last_name", tVarchar, "Customer's last name. PII."},
		{"email", tVarchar, "Customer's e-mail address. PII."},
		{"country_name", tVarchar, "Billing country."},
		{"region", tVarchar, "Sales region of the billing country."},
		{"first_order", tDate, "Date (UTC) of the customer's first valid order."},
		{"most_recent_order", tDate, "Date (UTC) of the customer's most recent valid order."},
		{"number_of_orders", tBigint, "Count of valid orders the customer placed."},
		{"lifetime_value", tDecimal, "Total the customer has paid, in dollars."},
	}
	if current {
		// last_name goes (data minimisation), lifetime_value becomes a DOUBLE.
		cols = append(cols[:2], cols[3:]...)
		cols[len(cols)-1].typ = tDouble
	}
	return cols
}

func customersSQL(current bool) string {
	lastName, ltv := "\n        customers.last_name,", "cast(coalesce(payments.total_paid, 0) as decimal(18, 2))"
	if current {
		lastName, ltv = "", "cast(coalesce(payments.total_paid, 0) as double)"
	}
	return `with customers as (

    select * from {{ ref('stg_customers') }}

),

orders as (

    select * from {{ ref('orders') }}

),

payments as (

    select * from {{ ref('int_customer_payments') }}

),

countries as (

    select * from {{ ref('country_codes') }}

),

customer_orders as (

    select
        customer_id,
        min(order_date) as first_order,
        max(order_date) as most_recent_order,
        count(*) as number_of_orders

    from orders

    group by customer_id

)

select
    customers.customer_id,
    customers.first_name,` + lastName + `
    customers.email,
    countries.country_name,
    countries.region,
    customer_orders.first_order,
    customer_orders.most_recent_order,
    coalesce(customer_orders.number_of_orders, 0) as number_of_orders,
    ` + ltv + ` as lifetime_value

from customers

left join countries
    on customers.country_code = countries.country_code

left join customer_orders
    on customers.customer_id = customer_orders.customer_id

left join payments
    on customers.customer_id = payments.customer_id
`
}

func shopExposures() []*exposure {
	return []*exposure{{
		name: "revenue_dashboard", label: "Revenue dashboard", typ: "dashboard", maturity: "high",
		url:       "https://bi.example.com/dashboards/revenue",
		ownerName: "Finance analytics", ownerEmail: "finance-analytics@example.com",
		description: "Daily revenue, orders and customer lifetime value, reviewed every Monday by the finance team.",
		dependsOn:   []string{ordersModel, customersModel, "daily_revenue"},
	}}
}
