package analysis_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/kehu/crm/analysis"
	"gonum.org/v1/gonum/mat"
)

func ExampleRFM() {
	// Days since the last purchase, purchases, and total spend.
	customers := []analysis.RFMCustomer{
		{Key: "ada", Recency: 2, Frequency: 12, Monetary: 1450},
		{Key: "ben", Recency: 5, Frequency: 9, Monetary: 980},
		{Key: "cai", Recency: 9, Frequency: 1, Monetary: 35},
		{Key: "dee", Recency: 30, Frequency: 4, Monetary: 310},
		{Key: "eli", Recency: 60, Frequency: 3, Monetary: 120},
		{Key: "fay", Recency: 120, Frequency: 10, Monetary: 1200},
		{Key: "gus", Recency: 200, Frequency: 1, Monetary: 20},
		{Key: "hal", Recency: 365, Frequency: 2, Monetary: 60},
		{Key: "ivy", Recency: 400, Frequency: 1, Monetary: 15},
		{Key: "jon", Recency: 420, Frequency: 1, Monetary: 25},
	}
	res, err := analysis.RFM(customers)
	if err != nil {
		panic(err)
	}
	for _, s := range res.Scores {
		fmt.Printf("%s %s %s\n", s.Key, s.Code(), s.Segment)
	}
	fmt.Println()
	for _, st := range res.Segments {
		if st.Customers > 0 {
			fmt.Printf("%-18s %d customers, $%.0f (%.0f%% of value), mean $%.0f\n",
				st.Segment, st.Customers, st.Monetary, 100*st.MonetaryShare, st.MeanMonetary)
		}
	}
	// Output:
	// ada 555 Champions
	// ben 544 Loyal
	// cai 412 Potential loyalist
	// dee 444 Loyal
	// eli 333 Need attention
	// fay 355 Loyal
	// gus 211 Lost
	// hal 233 At risk
	// ivy 111 Lost
	// jon 112 Lost
	//
	// Champions          1 customers, $1450 (34% of value), mean $1450
	// Loyal              3 customers, $2490 (59% of value), mean $830
	// Potential loyalist 1 customers, $35 (1% of value), mean $35
	// Need attention     1 customers, $120 (3% of value), mean $120
	// At risk            1 customers, $60 (1% of value), mean $60
	// Lost               3 customers, $60 (1% of value), mean $20
}

func ExampleRFMSegmentFor() {
	fmt.Println(analysis.RFMSegmentFor(5, 5, 4)) // FM = ⌈4.5⌉ = 5
	fmt.Println(analysis.RFMSegmentFor(1, 5, 5))
	fmt.Println(analysis.RFMSegmentFor(5, 1, 1))
	// Output:
	// Champions
	// Cannot lose them
	// New
}

func ExampleKMeans() {
	// Two obvious groups of customers by (orders, spend).
	x := mat.NewDense(6, 2, []float64{
		1, 20,
		2, 25,
		1, 22,
		10, 300,
		12, 320,
		11, 310,
	})
	res, err := analysis.KMeans(x, analysis.KMeansConfig{K: 2, Src: rand.NewPCG(1, 2)})
	if err != nil {
		panic(err)
	}
	fmt.Println("labels:", res.Labels)
	fmt.Println("sizes:", res.Sizes)
	fmt.Printf("centroids:\n%.2f\n", mat.Formatted(res.Centroids))
	fmt.Printf("inertia: %.2f\n", res.Inertia)
	// Output:
	// labels: [1 1 1 0 0 0]
	// sizes: [3 3]
	// centroids:
	// ⎡ 11.00  310.00⎤
	// ⎣  1.33   22.33⎦
	// inertia: 215.33
}

func ExampleKMeansSelect() {
	// Customers as (orders, spend): three groups on very different scales.
	// The log1p + z-score transform puts both features on one scale; the
	// selection tries k = 2..4, picks the k with the best silhouette, and
	// reports the centroids back in orders and dollars.
	x := mat.NewDense(12, 2, []float64{
		1, 15, 1, 20, 2, 18, 1, 25,
		5, 150, 6, 180, 4, 160, 5, 140,
		20, 2000, 25, 2400, 22, 2100, 30, 2600,
	})
	sel, err := analysis.KMeansSelect(x, analysis.KMeansSelectConfig{
		MinK: 2, MaxK: 4,
		Scaler: analysis.NewLogZScaler(),
		KMeans: analysis.KMeansConfig{Src: rand.NewPCG(1, 2)},
	})
	if err != nil {
		panic(err)
	}
	for _, p := range sel.Curve {
		fmt.Printf("k=%d inertia=%.2f silhouette=%.2f\n", p.K, p.Inertia, p.Silhouette)
	}
	fmt.Println("chosen k:", sel.K)
	for c := range sel.K {
		fmt.Printf("cluster %d: %d customers, %.1f orders, $%.0f\n",
			c, sel.Result.Sizes[c], sel.Centroids.At(c, 0), sel.Centroids.At(c, 1))
	}
	// Output:
	// k=2 inertia=4.51 silhouette=0.72
	// k=3 inertia=0.32 silhouette=0.85
	// k=4 inertia=0.19 silhouette=0.73
	// chosen k: 3
	// cluster 0: 4 customers, 5.0 orders, $157
	// cluster 1: 4 customers, 24.0 orders, $2263
	// cluster 2: 4 customers, 1.2 orders, $19
}
