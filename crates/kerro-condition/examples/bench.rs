//! Measures evaluation speed of typical offer-targeting conditions: compiles a
//! set of conditions once, then times `eval` over many attribute objects. It is a
//! rough timer for humans, not a statistics-grade benchmark.

use std::hint::black_box;
use std::time::Instant;

use serde_json::{json, Map};

use kerro_condition::Condition;

fn main() {
    let conditions = [
        json!({"country": {"$in": ["FR", "DE", "ES", "IT"]}}),
        json!({"age": {"$gte": 18}, "country": "FR"}),
        json!({"$or": [{"plan": "pro"}, {"spend": {"$gt": 100}}], "optIn": true}),
        json!({"tags": {"$elemMatch": {"$eq": "vip"}}}),
        json!({"app.version": {"$vgte": "2.3.0"}, "platform": {"$ini": ["ios", "android"]}}),
        json!({"email": {"$regex": "@example\\.com$"}}),
        json!({"segments": {"$all": ["a", "b"]}, "$not": {"banned": true}}),
        json!({"id": {"$inGroup": "beta"}}),
    ];
    let compiled: Vec<Condition> = conditions
        .iter()
        .map(|c| Condition::compile(c).expect("compiles"))
        .collect();
    let attrs = json!({
        "id": "u-123", "country": "FR", "age": 34, "plan": "free", "spend": 250, "optIn": true,
        "tags": ["new", "vip"], "app": {"version": "2.4.1"}, "platform": "iOS",
        "email": "someone@example.com", "segments": ["a", "c", "b"], "banned": false,
    });
    let mut groups = Map::new();
    groups.insert("beta".into(), json!(["u-1", "u-123", "u-999"]));
    let rounds = 200_000;
    let start = Instant::now();
    let mut passed = 0usize;
    for _ in 0..rounds {
        for c in &compiled {
            passed += usize::from(c.eval(black_box(&attrs), &groups));
        }
    }
    let per = start.elapsed().as_nanos() as f64 / (rounds * compiled.len()) as f64;
    println!(
        "{} evaluations, {passed} passed, {per:.1} ns per evaluation",
        rounds * compiled.len()
    );
    for (c, json) in compiled.iter().zip(&conditions) {
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(c.eval(black_box(&attrs), &groups));
        }
        let per = start.elapsed().as_nanos() as f64 / rounds as f64;
        println!("{per:7.1} ns  {json}");
    }
}
