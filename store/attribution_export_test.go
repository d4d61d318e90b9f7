package store

// AttributionBatch lets tests read journeys in small batches.
var AttributionBatch = &attributionBatch
