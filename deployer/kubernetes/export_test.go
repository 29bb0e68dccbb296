package kubernetes

// InCluster exposes the in-cluster loader with its mount point injected.
var InCluster = inCluster
