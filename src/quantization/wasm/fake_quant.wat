;; Fake quantization over float32 arrays in the tfjs-backend-wasm heap, in
;; one SIMD pass per direction (the composite op takes ~7 passes forward and
;; ~7 backward). Arithmetic follows TF's FakeQuantWithMinMaxVars per-tensor
;; functor step by step, in float32:
;;   out  = floor((clamp(x, lo, hi) - lo) / scale - quantZero + 0.5) * scale
;;   mask = lo <= x <= hi ? 1 : 0     (the straight-through gradient)
;; Build: node scripts/build_wasm.mjs (regenerates fake_quant_wasm.ts).
(module
  (import "env" "memory" (memory 1))

  (func (export "fake_quant")
      (param $x i32) (param $out i32) (param $mask i32) (param $n i32)
      (param $lo f32) (param $hi f32) (param $scale f32) (param $qz f32)
    (local $i i32) (local $n4 i32) (local $v v128) (local $in v128)
    (local $lo4 v128) (local $hi4 v128) (local $scale4 v128) (local $qz4 v128)
    (local $half4 v128) (local $one4 v128) (local $c f32) (local $s f32)
    (local.set $lo4 (f32x4.splat (local.get $lo)))
    (local.set $hi4 (f32x4.splat (local.get $hi)))
    (local.set $scale4 (f32x4.splat (local.get $scale)))
    (local.set $qz4 (f32x4.splat (local.get $qz)))
    (local.set $half4 (f32x4.splat (f32.const 0.5)))
    (local.set $one4 (f32x4.splat (f32.const 1)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done4
      (loop $loop4
        (br_if $done4 (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $v (v128.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $in (v128.and (f32x4.ge (local.get $v) (local.get $lo4))
                                 (f32x4.le (local.get $v) (local.get $hi4))))
        (v128.store (i32.add (local.get $mask) (i32.shl (local.get $i) (i32.const 2)))
          (v128.and (local.get $in) (local.get $one4)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.mul
            (f32x4.floor
              (f32x4.add
                (f32x4.sub
                  (f32x4.div
                    (f32x4.sub
                      (f32x4.max (f32x4.min (local.get $v) (local.get $hi4)) (local.get $lo4))
                      (local.get $lo4))
                    (local.get $scale4))
                  (local.get $qz4))
                (local.get $half4)))
            (local.get $scale4)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $loop4)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $c (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
        (f32.store (i32.add (local.get $mask) (i32.shl (local.get $i) (i32.const 2)))
          (select (f32.const 1) (f32.const 0)
            (i32.and (f32.ge (local.get $c) (local.get $lo)) (f32.le (local.get $c) (local.get $hi)))))
        (local.set $s (f32.max (f32.min (local.get $c) (local.get $hi)) (local.get $lo)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32.mul
            (f32.floor
              (f32.add
                (f32.sub (f32.div (f32.sub (local.get $s) (local.get $lo)) (local.get $scale))
                         (local.get $qz))
                (f32.const 0.5)))
            (local.get $scale)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $loop))))

  ;; Writes min and max of x[0..n) (n >= 1) to out[0], out[1].
  (func (export "min_max") (param $x i32) (param $n i32) (param $out i32)
    (local $i i32) (local $n4 i32) (local $v v128) (local $mn4 v128) (local $mx4 v128)
    (local $mn f32) (local $mx f32) (local $c f32)
    (local.set $mn (f32.load (local.get $x)))
    (local.set $mx (local.get $mn))
    (local.set $mn4 (f32x4.splat (local.get $mn)))
    (local.set $mx4 (local.get $mn4))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done4
      (loop $loop4
        (br_if $done4 (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $v (v128.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $mn4 (f32x4.min (local.get $mn4) (local.get $v)))
        (local.set $mx4 (f32x4.max (local.get $mx4) (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $loop4)))
    (local.set $mn (f32.min (f32.min (f32x4.extract_lane 0 (local.get $mn4)) (f32x4.extract_lane 1 (local.get $mn4)))
                            (f32.min (f32x4.extract_lane 2 (local.get $mn4)) (f32x4.extract_lane 3 (local.get $mn4)))))
    (local.set $mx (f32.max (f32.max (f32x4.extract_lane 0 (local.get $mx4)) (f32x4.extract_lane 1 (local.get $mx4)))
                            (f32.max (f32x4.extract_lane 2 (local.get $mx4)) (f32x4.extract_lane 3 (local.get $mx4)))))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $c (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $mn (f32.min (local.get $mn) (local.get $c)))
        (local.set $mx (f32.max (local.get $mx) (local.get $c)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $loop)))
    (f32.store (local.get $out) (local.get $mn))
    (f32.store (i32.add (local.get $out) (i32.const 4)) (local.get $mx)))
)
