//! Column, table and index shorthands for the services' migrations.
use sea_orm_migration::prelude::*;

pub fn s(n: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(n)).string().not_null().to_owned()
}
pub fn s_null(n: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(n)).string().null().to_owned()
}
pub fn text(n: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(n)).text().not_null().to_owned()
}
pub fn int(n: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(n))
        .integer()
        .not_null()
        .to_owned()
}
pub fn big(n: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(n))
        .big_integer()
        .not_null()
        .to_owned()
}
pub fn big_null(n: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(n))
        .big_integer()
        .null()
        .to_owned()
}
pub fn boolean(n: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(n))
        .boolean()
        .not_null()
        .to_owned()
}

pub fn table(name: &str, cols: Vec<ColumnDef>, pk: &[&str]) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name));
    for c in cols {
        t.col(c);
    }
    let mut key = Index::create();
    for k in pk {
        key.col(Alias::new(*k));
    }
    t.primary_key(&mut key);
    t.to_owned()
}

pub fn index(table: &str, name: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(format!("{table}_{name}")).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

pub fn double(n: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(n)).double().not_null().to_owned()
}
pub fn bytes(n: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(n)).blob().not_null().to_owned()
}
