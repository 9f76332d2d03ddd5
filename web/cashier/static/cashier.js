// The till screen: identify the member, enter the lines, quote, confirm, refund, top up.
// Plain JavaScript, no build step. Money arrives from the server already formatted
// ("306.00"): this file never does arithmetic on amounts, it only shows them.
(function () {
  "use strict";

  var app = document.getElementById("app");
  var STATION = app.dataset.station;
  var CSRF = document.querySelector('meta[name="csrf-token"]').content;
  var $ = function (id) { return document.getElementById(id); };

  var state = {
    member: null,      // {ref: {code|nozzle|phone}, info: summary}
    lines: [],         // what the server is sent: {kind, grade, litres|amount, label}
    coupons: [],       // ticked coupon ids
    quote: null,
    posTxnNo: null,    // kept until the sale commits, so a retry is the same sale
    sale: null,
    topupNo: null     // kept until the top-up succeeds, so a retry is the same top-up
  };

  // ---- helpers -------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c != null) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function row(label, value, cls) {
    return el("div", {"class": "kv " + (cls || "")}, [el("span", {text: label}), el("span", {text: value})]);
  }

  function show(message, kind) {
    var box = $("message");
    box.textContent = message;
    box.className = "message " + (kind || "error");
    box.hidden = false;
    clearTimeout(show.timer);
    show.timer = setTimeout(function () { box.hidden = true; }, kind === "ok" ? 4000 : 8000);
  }

  function stamp() {
    var d = new Date(), p = function (n) { return (n < 10 ? "0" : "") + n; };
    return "" + d.getFullYear() + p(d.getMonth() + 1) + p(d.getDate()) + p(d.getHours()) +
      p(d.getMinutes()) + p(d.getSeconds());
  }

  function randomHex(bytes) {
    var a = new Uint8Array(bytes);
    window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  // A reference the POS world understands: station code + local time + random.
  function newRef(prefix) { return prefix + STATION + "-" + stamp() + "-" + randomHex(4); }

  function api(method, path, payload) {
    var opts = {method: method, credentials: "same-origin",
                headers: {"Accept": "application/json", "X-CSRF-Token": CSRF}};
    if (payload !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(payload);
    }
    return fetch("/cashier/api" + path, opts).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (resp.status === 401) { window.location = "/cashier/login?next=/cashier/"; }
        if (!resp.ok) {
          var e = new Error((data.error && data.error.message) || ("请求失败（" + resp.status + "）"));
          e.code = data.error && data.error.code;
          throw e;
        }
        return data;
      });
    }, function () { throw new Error("网络异常，请检查网络后重试"); });
  }

  function busy(button, promise) {
    if (button) button.disabled = true;
    return promise.catch(function (e) { show(e.message); throw e; })
      .finally(function () { if (button) button.disabled = false; });
  }

  window.Cashier = {api: api, state: state};  // for the console while debugging

  // ---- member ----------------------------------------------------------------

  function setMember(ref, info) {
    if (info) leaveReceipt();
    state.member = info ? {ref: ref, info: info} : null;
    state.coupons = [];
    renderMember();
    payChoices();
    requote();
  }

  function renderMember() {
    var box = clear($("member"));
    if (!state.member) {
      box.className = "member empty";
      box.textContent = "未识别会员（非会员消费也可直接收银）";
      return;
    }
    var m = state.member.info;
    box.className = "member";
    box.appendChild(el("div", {"class": "member-head"}, [
      el("strong", {text: m.phone}), el("span", {"class": "badge", text: m.tier_name || "会员"}),
      el("span", {"class": "badge via", text: m.via_name || ""}),
      el("button", {"class": "btn small", type: "button", id: "member-clear", text: "清除"})
    ]));
    box.appendChild(el("div", {"class": "member-figures"}, [
      row("积分", String(m.points) + (m.family_pool ? "（家庭）" : "")), row("储值余额", m.balance + " 元"),
      m.plate ? row("车牌", m.plate) : null
    ]));
    if (m.coupons.length) {
      var list = el("div", {"class": "coupons"}, [el("div", {"class": "muted", text: "可用优惠券"})]);
      m.coupons.forEach(function (c) {
        var box2 = el("input", {type: "checkbox", value: String(c.id), "data-coupon": String(c.id)});
        list.appendChild(el("label", {"class": "coupon"}, [box2, el("span", {text: c.name}),
          el("small", {text: "至 " + c.valid_until_local})]));
      });
      box.appendChild(list);
    } else if (!m.may_use_coupons) {
      box.appendChild(el("div", {"class": "muted", text: "手机号识别：不可用券及储值支付"}));
    }
    $("member-clear").addEventListener("click", function () { setMember(null, null); focusCode(); });
    box.querySelectorAll("input[data-coupon]").forEach(function (input) {
      input.addEventListener("change", function () {
        state.coupons = Array.prototype.filter.call(box.querySelectorAll("input[data-coupon]"),
          function (i) { return i.checked; }).map(function (i) { return parseInt(i.value, 10); });
        requote();
      });
    });
  }

  function identify(ref, button) {
    return busy(button, api("POST", "/members/identify", {station: STATION, member: ref}))
      .then(function (data) { setMember(ref, data.member); show("已识别会员 " + data.member.phone, "ok"); });
  }

  function focusCode() { $("member-code").value = ""; $("member-code").focus(); }

  // A keyboard-wedge scanner types the digits then Enter: the form's submit.
  $("code-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var code = $("member-code").value.replace(/[\s-]/g, "");
    if (!code) return;
    identify({code: code}, ev.submitter).catch(function () {}).finally(function () {
      $("member-code").value = "";
    });
  });

  $("phone-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var phone = $("member-phone").value.trim();
    if (phone) identify({phone: phone}, ev.submitter).catch(function () {});
  });

  $("nozzle-btn").addEventListener("click", function (ev) {
    var nozzle = $("nozzle").value;
    busy(ev.currentTarget, api("GET", "/nozzles/" + encodeURIComponent(nozzle) + "/member?station=" +
      encodeURIComponent(STATION))).then(function (data) {
      if (!data.member) { show(nozzle + " 号油枪暂无扫码会员"); return; }
      setMember({nozzle: nozzle}, data.member);
      show(nozzle + " 号油枪会员 " + data.member.phone, "ok");
    }).catch(function () {});
  });

  // ---- lines -----------------------------------------------------------------

  function fuelMode() { return document.querySelector('input[name="fuel-mode"]:checked').value; }

  document.querySelectorAll('input[name="fuel-mode"]').forEach(function (r) {
    r.addEventListener("change", function () {
      $("fuel-value").placeholder = fuelMode() === "litres" ? "如 40.00" : "如 300.00";
      $("fuel-value").focus();
    });
  });

  $("fuel-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var value = $("fuel-value").value.trim();
    if (!value) { show("请填写升数或金额"); return; }
    var grade = $("fuel-grade");
    var gradeName = grade.options[grade.selectedIndex].text.split(" · ")[0];
    var line = {kind: "fuel", grade: grade.value};
    line[fuelMode()] = value;
    line.label = gradeName + " " + value + (fuelMode() === "litres" ? " 升" : " 元");
    addLine(line);
    $("fuel-value").value = "";
  });

  $("shop-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var amount = $("shop-amount").value.trim();
    if (!amount) { show("请填写商品金额"); return; }
    var cat = $("shop-category");
    addLine({kind: "shop", category: cat.value, amount: amount,
             label: cat.options[cat.selectedIndex].text + " " + amount + " 元"});
    $("shop-amount").value = "";
  });

  function addLine(line) { leaveReceipt(); state.lines.push(line); renderLines(); requote(); }

  // Entering the next sale puts the last receipt away.
  function leaveReceipt() {
    if ($("receipt-card").hidden) return;
    state.sale = null;
    $("receipt-card").hidden = true;
    $("quote-card").hidden = false;
  }

  function renderLines() {
    var list = clear($("lines"));
    if (!state.lines.length) { list.appendChild(el("li", {"class": "muted", text: "尚未录入商品"})); return; }
    state.lines.forEach(function (line, i) {
      var remove = el("button", {"class": "btn small", type: "button", "aria-label": "删除", text: "删除"});
      remove.addEventListener("click", function () { state.lines.splice(i, 1); renderLines(); requote(); });
      list.appendChild(el("li", {}, [el("span", {text: line.label}), remove]));
    });
  }

  // ---- quote and confirm -------------------------------------------------------

  function saleRequest() {
    return {station: STATION, member: state.member ? state.member.ref : null, coupon_ids: state.coupons,
            pay_with: document.querySelector('input[name="pay-with"]:checked').value,
            lines: state.lines.map(function (l) {
              return {kind: l.kind, grade: l.grade, litres: l.litres, amount: l.amount, category: l.category};
            })};
  }

  var quoteSeq = 0;
  // Any change re-prices; the confirm button waits for the fresh quote (a failed quote,
  // e.g. 储值余额不足, leaves it off while the payment choice stays there to change).
  function requote() {
    state.quote = null;
    $("confirm-btn").disabled = true;
    $("pay").hidden = !state.lines.length;
    $("quote").className = "muted";
    if (!state.lines.length) { clear($("quote")).textContent = "录入商品后自动计算优惠和积分"; return; }
    var seq = ++quoteSeq;
    clear($("quote")).textContent = "正在计算…";
    api("POST", "/quote", saleRequest()).then(function (data) {
      if (seq !== quoteSeq) return;  // a newer change is being quoted
      state.quote = data.quote;
      renderQuote(data.quote);
    }).catch(function (e) {
      if (seq !== quoteSeq) return;
      clear($("quote")).appendChild(el("p", {"class": "alert", text: e.message}));
    });
  }

  function renderQuote(q) {
    var box = clear($("quote"));
    box.className = "";
    q.lines.forEach(function (l) { box.appendChild(row(l.label, l.gross.yuan)); });
    box.appendChild(row("原价合计", q.gross.yuan + " 元", "sum"));
    if (q.discounts.length) {
      q.discounts.forEach(function (d) { box.appendChild(row(d.label, "-" + d.amount.yuan, "discount")); });
    } else {
      box.appendChild(el("div", {"class": "muted", text: "本单无优惠"}));
    }
    box.appendChild(row("应付", q.payable.yuan + " 元", "payable"));
    var pts = el("div", {"class": "points"}, [row("本单积分", "+" + q.points.total, "sum")]);
    q.points.lines.forEach(function (p) { pts.appendChild(row(p.label, "+" + p.points)); });
    if (!q.member) pts.appendChild(el("div", {"class": "muted", text: "非会员不积分"}));
    box.appendChild(pts);
    $("confirm-btn").disabled = false;
  }

  // Balance payment needs the member's code (the server says so too).
  function payChoices() {
    var mayBalance = !!(state.member && state.member.info.may_pay_from_balance);
    document.querySelector('input[name="pay-with"][value="balance"]').disabled = !mayBalance;
    if (!mayBalance) document.querySelector('input[name="pay-with"][value="external"]').checked = true;
  }

  document.querySelectorAll('input[name="pay-with"]').forEach(function (r) {
    r.addEventListener("change", requote);
  });

  $("confirm-btn").addEventListener("click", function (ev) {
    if (!state.quote) return;
    state.posTxnNo = state.posTxnNo || newRef("");
    var req = saleRequest();
    req.pos_txn_no = state.posTxnNo;
    req.nozzle = state.member && state.member.ref.nozzle ? state.member.ref.nozzle : null;
    busy(ev.currentTarget, api("POST", "/sales", req)).then(function (data) {
      state.posTxnNo = null;
      state.sale = data.sale;
      // The sale is done: its code is used up, and the next sale starts empty.
      state.member = null;
      state.coupons = [];
      state.lines = [];
      renderMember();
      renderLines();
      renderReceipt(data.sale, data.member);
      show("收款成功，交易号 " + data.sale.id, "ok");
    }).catch(function (e) {
      // A used or expired code cannot go through: identify the member again.
      if (e.code && e.code.indexOf("code_") === 0) { setMember(null, null); focusCode(); }
    });
  });

  // ---- receipt and refund -----------------------------------------------------

  function renderReceipt(sale, member) {
    $("quote-card").hidden = true;
    $("receipt-card").hidden = false;
    var box = clear($("receipt"));
    box.appendChild(row("交易号", String(sale.id)));
    box.appendChild(row("POS 流水号", sale.pos_txn_no, "small"));
    box.appendChild(row("时间", sale.at));
    if (sale.member) box.appendChild(row("会员", sale.member.phone));
    sale.lines.forEach(function (l) { box.appendChild(row(l.label, l.amount.yuan)); });
    sale.discounts.forEach(function (d) { box.appendChild(row(d.label, "-" + d.amount.yuan, "discount")); });
    box.appendChild(row(sale.pay_with === "balance" ? "实付（储值）" : "实付", sale.payable.yuan + " 元", "payable"));
    box.appendChild(row("获得积分", "+" + sale.points_earned, "sum"));
    if (member) {
      box.appendChild(row("积分余额", String(member.points)));
      box.appendChild(row("储值余额", member.balance + " 元"));
    }
    sale.refunds.forEach(function (r) {
      box.appendChild(row("已退款", "-" + r.amount.yuan + " 元（扣回积分 " + r.points_reversed + "）", "refund"));
    });
    var left = sale.refundable.fen > 0;
    $("refund-form").hidden = !left;
    if (!left) box.appendChild(el("div", {"class": "badge full", text: "已全额退款"}));
  }

  $("refund-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var sale = state.sale;
    var amount = $("refund-amount").value.trim();
    var what = amount ? amount + " 元" : "全部 " + sale.refundable.yuan + " 元";
    if (!window.confirm("确认退款 " + what + "？")) return;
    busy(ev.submitter, api("POST", "/sales/" + sale.id + "/refunds",
      {refund_no: newRef("R"), amount: amount || null})).then(function (data) {
      state.sale = data.sale;
      $("refund-amount").value = "";
      renderReceipt(data.sale, data.member);
      show("退款成功 " + data.refund.amount.yuan + " 元", "ok");
    }).catch(function () {});
  });

  $("new-sale-btn").addEventListener("click", function () {
    leaveReceipt();
    state.lines = [];
    renderLines();
    setMember(null, null);
    focusCode();
  });

  // ---- top-up -------------------------------------------------------------------

  document.querySelectorAll("#topup-form [data-amount]").forEach(function (b) {
    b.addEventListener("click", function () { $("topup-amount").value = b.dataset.amount; });
  });

  $("topup-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var code = $("topup-code").value.replace(/[\s-]/g, ""), phone = $("topup-phone").value.trim();
    if (!code && !phone) { show("请扫描会员码或输入手机号"); return; }
    state.topupNo = state.topupNo || newRef("T");
    busy(ev.submitter, api("POST", "/topups", {
      station: STATION, member: code ? {code: code} : {phone: phone}, topup_no: state.topupNo,
      amount: $("topup-amount").value.trim(), pay_method: $("topup-method").value
    })).then(function (data) {
      var t = data.topup, box = clear($("topup-result"));
      box.className = "";
      state.topupNo = null;
      box.appendChild(el("h3", {text: "充值成功"}));
      box.appendChild(row("会员", data.member.phone));
      box.appendChild(row("充值金额", t.amount.yuan + " 元（" + t.pay_method + "）"));
      if (t.bonus.fen > 0) box.appendChild(row("赠送", t.bonus.yuan + " 元（" + t.bonus_label + "）", "bonus"));
      box.appendChild(row("储值余额", t.balance.yuan + " 元", "payable"));
      $("topup-code").value = ""; $("topup-phone").value = ""; $("topup-amount").value = "";
      show("充值成功", "ok");
    }).catch(function () {});
  });

  // ---- tabs ---------------------------------------------------------------------

  document.querySelectorAll(".tab").forEach(function (tab) {
    tab.addEventListener("click", function () {
      document.querySelectorAll(".tab").forEach(function (t) { t.classList.toggle("active", t === tab); });
      $("tab-sale").hidden = tab.dataset.tab !== "sale";
      $("tab-topup").hidden = tab.dataset.tab !== "topup";
      (tab.dataset.tab === "sale" ? $("member-code") : $("topup-code")).focus();
    });
  });

  payChoices();
  focusCode();
  document.body.dataset.ready = "1";  // the handlers are bound: tests wait for this
})();
