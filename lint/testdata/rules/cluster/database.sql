CLUSTER; -- want: cluster "CLUSTER without a table rewrites every previously clustered table"
