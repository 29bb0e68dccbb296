CLUSTER events; -- want: cluster "fails: a partitioned table has no clustered index"
