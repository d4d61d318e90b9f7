// Package analysis mines customer needs, behaviour and value from plain Go
// values: RFM scores and segments, k-means segmentation, buy-till-you-die
// lifetime-value models (BG/NBD, Pareto/NBD, Gamma-Gamma), churn models,
// cohorts, and the tests of significance the marketing and service modules
// use.
//
// It is pure numerics on gonum: it never touches a database (the store feeds
// it summaries), every random step takes a seeded source, and every model
// is checked against published results on public data.
package analysis
