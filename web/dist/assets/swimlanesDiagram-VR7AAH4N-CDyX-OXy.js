import{r as e,t}from"./chunk-SHT3W25Y-B05e-4df.js";import"./chunk-POPQ4Y6H-CVHJ1Y4w.js";import"./mermaid.core-CTNZkNNA.js";import"./chunk-F27PBJKO-VQByezgb.js";import"./chunk-L3NEJ4N5-DguRdMbS.js";import"./chunk-OSK3NFVY-XoCTy-Jp.js";import"./chunk-GVQU2GXP-Cvwuy_ee.js";import"./chunk-4HAMMTFA-D1IU60aI.js";import"./chunk-P2QGCYS3-CWEIPJYk.js";import"./chunk-GMAD6QVW-BX3XSo6o.js";import"./chunk-PWAF6VOD-C7e60VoW.js";import"./chunk-75Z2AOVW-DjimMF1A.js";import"./chunk-DU6HZSFF-D6kJ-TrX.js";import"./chunk-X3CZISLH-CifqmFa4.js";import{n}from"./chunk-Y2CYZVJY-DsF7k-Jl.js";var r=t({defaultLayout:`swimlane`,styles:n(t=>`${e(t)}
  .swimlane.cluster rect {
    stroke: ${t.clusterBorder} !important;
  }
  [data-look="neo"].cluster rect {
    filter: none;
  }
`,`getStyles`)});export{r as diagram};