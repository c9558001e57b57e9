// Maxout's work per unit, shared by maxout/maxout.wgsl and maxout_dropout/maxout_dropout.wgsl: each
// declares the parameters `p` (with `k`, the pieces per unit) and, under the same names, the
// buffers these functions read and write.

fn piece(i: u32) -> f32 { return fwd_pieces_quad(i >> 2u)[i & 3u]; }

struct Winner { value: f32, index: u32 }

// The largest of the k pieces from `first` on, and its index among them; ties go to the first
// piece, as torch.max does.
fn winner(first: u32) -> Winner {
    var best = Winner(piece(first), 0u);
    for (var j = 1u; j < p.k; j++) {
        let v = piece(first + j);
        if v > best.value { best = Winner(v, j); }
    }
    return best;
}

// Unit i's gradient to its winning piece, 0 to the others.
fn route_to_winner(i: u32, gradient: f32) {
    let arg = bwd_argmax[i];
    let first = i * p.k;
    for (var j = 0u; j < p.k; j++) {
        bwd_pieces[first + j] = select(0.0, gradient, arg == j);
    }
}
