/* Empty translation unit: a placeholder for a link_whole library (mediasoup-shim). */
typedef int roomgate_mediasoup_shim_empty;
